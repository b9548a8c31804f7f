// The blob store conformance suite on S3 (s3rver on loopback), by single PUT and by multipart, and what only S3 has:
// the bucket's layout, the requests each path makes, prefixes, URL parsing and error mapping. What s3rver cannot
// show (If-None-Match, open multipart uploads, their garbage collection) is in blob-store.s3-moto.test.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseS3Url, QUIET_SDK_LOGGER, s3ClientConfigFromEnv, type S3BlobStoreOptions } from '../../src/storage/blob/s3/config.js';
import { S3BlobStore } from '../../src/storage/blob/s3/s3-blob-store.js';
import { startS3rver } from '../support/s3rver.js';
import type { RunningS3rver } from '../support/s3rver.js';
import { storeBlob } from '../support/stores.js';
import { chunked, describeBlobStore, expectAppError, listAll, readAll, testBlob } from './blob-store.suite.js';

const MiB = 1024 * 1024;

let s3rver: RunningS3rver;
let client: S3Client;

function clientFor(server: Pick<RunningS3rver, 'endpoint' | 'region' | 'credentials'>, extra: S3ClientConfig = {}): S3Client {
  return new S3Client({
    ...s3ClientConfigFromEnv({ AWS_ENDPOINT_URL_S3: server.endpoint, AWS_REGION: server.region }),
    credentials: server.credentials,
    logger: QUIET_SDK_LOGGER,
    ...extra,
  });
}

beforeAll(async () => {
  s3rver = await startS3rver();
  client = clientFor(s3rver);
});

afterAll(async () => {
  client?.destroy();
  await s3rver?.stop();
});

/** Every key in the bucket under `prefix`, whatever it is. */
async function rawKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: s3rver.bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function removePrefix(prefix: string): Promise<void> {
  for (const key of await rawKeys(`${prefix}/`)) await client.send(new DeleteObjectCommand({ Bucket: s3rver.bucket, Key: key }));
}

/** A store on its own prefix of the shared bucket, with a client that records the commands it sends. */
function makeStore(options: S3BlobStoreOptions = {}, prefix = `run-${randomUUID()}`) {
  const storeClient = clientFor(s3rver);
  const commands: string[] = [];
  storeClient.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  const store = new S3BlobStore({ bucket: s3rver.bucket, prefix }, { client: storeClient, ...options });
  return {
    store,
    prefix,
    commands,
    async cleanup() {
      storeClient.destroy();
      await removePrefix(prefix);
    },
  };
}

describeBlobStore('s3', async () => makeStore());
// Every non-empty blob goes through multipart, so the whole contract is proven on that path too.
describeBlobStore('s3-multipart', async () => makeStore({ singlePutMaxBytes: 0, partSize: 5 * MiB }));

describe('S3BlobStore on s3rver', () => {
  const cleanups: Array<() => Promise<void>> = [];
  function store(options: S3BlobStoreOptions = {}, prefix?: string) {
    const made = makeStore(options, prefix);
    cleanups.push(() => made.store.close(), made.cleanup);
    return made;
  }
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('keeps a blob at <prefix>/<r2Key>, and nothing else', async () => {
    const { store: s3, prefix } = store({}, `tenants/${randomUUID()}/blobs`);
    const blob = testBlob(randomBytes(5_000));
    await storeBlob(s3, blob.key, chunked(blob.bytes), blob.expected);
    expect(blob.key).toMatch(/^sha256\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/);
    expect(await rawKeys(`${prefix.split('/')[0]}/`)).toEqual([`${prefix}/${blob.key}`]);
    const raw = await client.send(new GetObjectCommand({ Bucket: s3rver.bucket, Key: `${prefix}/${blob.key}` }));
    expect(Buffer.from(await raw.Body!.transformToByteArray()).equals(blob.bytes)).toBe(true);
  });

  it('puts at the bucket root when the URL has no prefix', async () => {
    const bucket = `root-${randomUUID().slice(0, 8)}`;
    const root = await startS3rver(bucket);
    const rootClient = clientFor(root);
    try {
      const s3 = new S3BlobStore(parseS3Url(`s3://${bucket}`), { client: rootClient });
      await s3.init();
      const blob = testBlob(randomBytes(100));
      await storeBlob(s3, blob.key, chunked(blob.bytes), blob.expected);
      const page = await rootClient.send(new ListObjectsV2Command({ Bucket: bucket }));
      expect((page.Contents ?? []).map((object) => object.Key)).toEqual([blob.key]);
      expect((await listAll(s3)).map((listed) => listed.key)).toEqual([blob.key]);
    } finally {
      rootClient.destroy();
      await root.stop();
    }
  });

  it('writes a small blob with one PUT to its final key, after one HEAD (s3rver ignores If-None-Match)', async () => {
    const { store: s3, prefix, commands } = store();
    await s3.init();
    commands.length = 0;
    const blob = testBlob(randomBytes(10_000));
    const staged = await s3.stage(blob.key, chunked(blob.bytes), blob.expected);
    // Received and verified, but nothing sent yet: the bytes wait in memory for commit().
    expect(commands).toEqual([]);
    expect(await rawKeys(`${prefix}/`)).toEqual([]);
    expect(await staged.commit()).toEqual({ created: true });
    await staged.discard();
    expect(commands).toEqual(['HeadObjectCommand', 'PutObjectCommand']);
    expect(await rawKeys(`${prefix}/`)).toEqual([`${prefix}/${blob.key}`]);
    commands.length = 0;
    // Already there: the body is verified but not written again.
    expect(await storeBlob(s3, blob.key, chunked(blob.bytes), blob.expected)).toEqual({ created: false });
    expect(commands).toEqual(['HeadObjectCommand']);
  });

  it('sends an 11 MiB blob in three 5 MiB parts to its final key, completed only once verified', async () => {
    const { store: s3, prefix, commands } = store({ singlePutMaxBytes: 5 * MiB, partSize: 5 * MiB });
    await s3.init();
    commands.length = 0;
    const blob = testBlob(randomBytes(11 * MiB));
    expect(await storeBlob(s3, blob.key, chunked(blob.bytes, 256 * 1024), blob.expected)).toEqual({ created: true });
    expect(commands).toEqual([
      'HeadObjectCommand',
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'HeadObjectCommand',
      'CompleteMultipartUploadCommand',
    ]);
    expect((await readAll(await s3.read(blob.key))).equals(blob.bytes)).toBe(true);
    expect(await rawKeys(`${prefix}/`)).toEqual([`${prefix}/${blob.key}`]);
    const tail = await readAll(await s3.read(blob.key, { start: 10 * MiB - 3, end: 10 * MiB + 2 }));
    expect(tail.equals(blob.bytes.subarray(10 * MiB - 3, 10 * MiB + 3))).toBe(true);
    commands.length = 0;
    // Already there: no upload is started.
    expect(await storeBlob(s3, blob.key, chunked(blob.bytes, 256 * 1024), blob.expected)).toEqual({ created: false });
    expect(commands).toEqual(['HeadObjectCommand', 'HeadObjectCommand']);
  });

  it('never completes a multipart upload whose bytes fail verification', async () => {
    const { store: s3, prefix, commands } = store({ singlePutMaxBytes: 5 * MiB, partSize: 5 * MiB });
    const blob = testBlob(randomBytes(11 * MiB));
    const wrong = Buffer.from(blob.bytes);
    wrong[wrong.length - 1] ^= 1;
    await expectAppError(storeBlob(s3, blob.key, chunked(wrong, 256 * 1024), blob.expected), 'digest_mismatch');
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(await rawKeys(`${prefix}/`)).toEqual([]);
  });

  it('stops a multipart upload when the client goes away mid-part', async () => {
    const { store: s3, prefix, commands } = store({ singlePutMaxBytes: 5 * MiB, partSize: 5 * MiB });
    const blob = testBlob(randomBytes(11 * MiB));
    async function* body(): AsyncGenerator<Buffer> {
      yield blob.bytes.subarray(0, 6 * MiB); // one whole part and some
      throw Object.assign(new Error('the client went away mid-body'), { code: 'ECONNRESET' });
    }
    await expect(storeBlob(s3, blob.key, body(), blob.expected)).rejects.toThrow('the client went away mid-body');
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    expect(await s3.stat(blob.key)).toBeNull();
    expect(await rawKeys(`${prefix}/`)).toEqual([]);
  });

  // s3rver cannot paginate on Node 20 (its continuation tokens use DES, which OpenSSL 3 refuses).
  it('lists only blobs, skipping probe objects and other keys under the prefix', async () => {
    const { store: s3, prefix } = store();
    const blobs = Array.from({ length: 5 }, () => testBlob(randomBytes(100)));
    for (const blob of blobs) await storeBlob(s3, blob.key, chunked(blob.bytes), blob.expected);
    for (const key of ['notes.txt', `.presscloud-probe/${randomUUID()}`, 'sha256/00/00/not-a-digest']) {
      await client.send(new PutObjectCommand({ Bucket: s3rver.bucket, Key: `${prefix}/${key}`, Body: 'x' }));
    }
    expect((await listAll(s3)).map((listed) => listed.key)).toEqual(blobs.map((blob) => blob.key).sort());
  });

  it('keeps stores on different prefixes of one bucket apart', async () => {
    const base = `shared-${randomUUID()}`;
    const { store: a } = store({}, `${base}/a`);
    const { store: ab } = store({}, `${base}/ab`);
    const blob = testBlob(randomBytes(100));
    await storeBlob(a, blob.key, chunked(blob.bytes), blob.expected);
    expect(await ab.stat(blob.key)).toBeNull();
    expect(await listAll(ab)).toEqual([]);
    expect((await listAll(a)).map((listed) => listed.key)).toEqual([blob.key]);
  });

  it('answers storage_unavailable when the store cannot be reached or the bucket is missing', async () => {
    const down = clientFor({ ...s3rver, endpoint: 'http://127.0.0.1:1' }, { maxAttempts: 1 });
    const unreachable = new S3BlobStore({ bucket: s3rver.bucket, prefix: 'down' }, { client: down });
    const blob = testBlob(randomBytes(100));
    try {
      await expectAppError(unreachable.init(), 'storage_unavailable');
      await expectAppError(unreachable.checkReady(), 'storage_unavailable');
      await expectAppError(storeBlob(unreachable, blob.key, chunked(blob.bytes), blob.expected), 'storage_unavailable');
      await expectAppError(unreachable.stat(blob.key), 'storage_unavailable');
      await expectAppError(unreachable.read(blob.key), 'storage_unavailable');
    } finally {
      down.destroy();
    }
    const { store: noBucket } = store();
    const missing = new S3BlobStore({ bucket: 'no-such-bucket', prefix: '' }, { client });
    await expectAppError(missing.checkReady(), 'storage_unavailable');
    await expect(noBucket.checkReady()).resolves.toBeUndefined();
  });
});

describe('parseS3Url', () => {
  it.each([
    ['s3://bucket/prefix', { bucket: 'bucket', prefix: 'prefix' }],
    ['s3://my.bucket-1/a/b/c/', { bucket: 'my.bucket-1', prefix: 'a/b/c' }],
    ['s3://bucket', { bucket: 'bucket', prefix: '' }],
    ['s3://bucket/', { bucket: 'bucket', prefix: '' }],
  ])('%s', (url, location) => {
    expect(parseS3Url(url)).toEqual(location);
  });

  it.each([
    'http://bucket/prefix',
    's3://',
    's3:///prefix',
    's3://Bucket_1/x',
    's3://bucket/a//b',
    's3://bucket/../x',
    's3://bucket/p?x=1',
  ])('refuses %s', (url) => {
    expect(() => parseS3Url(url)).toThrow();
  });
});

describe('s3ClientConfigFromEnv', () => {
  it('uses path-style requests, and region "auto" unless one is set, for a custom endpoint', () => {
    expect(s3ClientConfigFromEnv({ AWS_ENDPOINT_URL_S3: 'https://acc.r2.cloudflarestorage.com' })).toMatchObject({
      endpoint: 'https://acc.r2.cloudflarestorage.com',
      forcePathStyle: true,
      region: 'auto',
    });
    expect(s3ClientConfigFromEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9000', AWS_REGION: 'eu-west-1' })).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      region: 'eu-west-1',
    });
  });

  it('leaves plain AWS to the SDK', () => {
    expect(s3ClientConfigFromEnv({ AWS_REGION: 'eu-west-1' })).toEqual({});
  });
});
