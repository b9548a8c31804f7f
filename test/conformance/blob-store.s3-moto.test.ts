// The blob store conformance suite on a second S3 server, moto, which has what s3rver lacks: If-None-Match
// (so an existing key is never rewritten and needs no HEAD) and multipart listings and aborts (so a test can
// see that nothing is left open, and that garbage collection aborts what a killed instance left).
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/domain/garbage-collector.js';
import { openMetadataStore } from '../../src/runtime.js';
import { QUIET_SDK_LOGGER, s3ClientConfigFromEnv, type S3BlobStoreOptions } from '../../src/storage/blob/s3/config.js';
import { S3BlobStore } from '../../src/storage/blob/s3/s3-blob-store.js';
import { Api } from '../support/api.js';
import { startMoto, type RunningMoto } from '../support/moto.js';
import { startServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import { storeBlob } from '../support/stores.js';
import { chunked, describeBlobStore, expectAppError, testBlob } from './blob-store.suite.js';

const MiB = 1024 * 1024;
const TWENTY_YEARS_MS = 20 * 365 * 24 * 3600 * 1000;

let moto: RunningMoto;
let client: S3Client;

function newClient(): S3Client {
  return new S3Client({ ...s3ClientConfigFromEnv(moto.env), credentials: moto.credentials, logger: QUIET_SDK_LOGGER });
}

beforeAll(async () => {
  moto = await startMoto();
  client = newClient();
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

async function rawKeys(prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: moto.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key ?? '').sort();
}

async function openUploads(prefix: string): Promise<string[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: moto.bucket, Prefix: prefix }));
  return (page.Uploads ?? []).map((upload) => upload.Key ?? '').sort();
}

function makeStore(options: S3BlobStoreOptions = {}, prefix = `run-${randomUUID()}`) {
  const storeClient = newClient();
  const commands: string[] = [];
  storeClient.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  const store = new S3BlobStore({ bucket: moto.bucket, prefix }, { client: storeClient, ...options });
  return {
    store,
    prefix,
    commands,
    async cleanup() {
      storeClient.destroy();
      for (const key of await rawKeys(`${prefix}/`)) await client.send(new DeleteObjectCommand({ Bucket: moto.bucket, Key: key }));
    },
  };
}

describeBlobStore('s3 (moto)', async () => makeStore());
describeBlobStore('s3-multipart (moto)', async () => makeStore({ singlePutMaxBytes: 0, partSize: 5 * MiB }));

describe('S3BlobStore on moto', () => {
  const cleanups: Array<() => Promise<void>> = [];
  async function store(options: S3BlobStoreOptions = {}) {
    const made = makeStore(options);
    cleanups.push(() => made.store.close(), made.cleanup);
    await made.store.init();
    made.commands.length = 0;
    return made;
  }
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('writes a small blob with one conditional PUT and never rewrites it', async () => {
    const { store: s3, prefix, commands } = await store();
    const blob = testBlob(randomBytes(10_000));
    expect(await storeBlob(s3, blob.key, chunked(blob.bytes), blob.expected)).toEqual({ created: true });
    expect(commands).toEqual(['PutObjectCommand']);
    expect(await rawKeys(`${prefix}/`)).toEqual([`${prefix}/${blob.key}`]);
    commands.length = 0;
    // The store refuses the second write (If-None-Match: *): the object stays as first written.
    expect(await storeBlob(s3, blob.key, chunked(blob.bytes), blob.expected)).toEqual({ created: false });
    expect(commands).toEqual(['PutObjectCommand']);
  });

  it('completes a multipart upload at the final key without a HEAD first, and not over an existing object', async () => {
    const { store: s3, prefix, commands } = await store({ singlePutMaxBytes: 5 * MiB, partSize: 5 * MiB });
    const blob = testBlob(randomBytes(11 * MiB));
    const first = await s3.stage(blob.key, chunked(blob.bytes, 256 * 1024), blob.expected);
    const second = await s3.stage(blob.key, chunked(blob.bytes, 256 * 1024), blob.expected);
    expect(await openUploads(`${prefix}/`)).toEqual([`${prefix}/${blob.key}`, `${prefix}/${blob.key}`]);
    expect(await rawKeys(`${prefix}/`)).toEqual([]);
    expect(await first.commit()).toEqual({ created: true });
    expect(await second.commit()).toEqual({ created: false });
    await first.discard();
    await second.discard();
    expect(commands.filter((command) => command === 'CompleteMultipartUploadCommand')).toHaveLength(2);
    expect(await rawKeys(`${prefix}/`)).toEqual([`${prefix}/${blob.key}`]);
    expect(await openUploads(`${prefix}/`)).toEqual([]);
  });

  for (const [what, body, code] of [
    [
      'its last byte changed',
      (bytes: Buffer) => Buffer.concat([bytes.subarray(0, -1), Buffer.from([bytes[bytes.length - 1] ^ 1])]),
      'digest_mismatch',
    ],
    ['a byte too many, in the middle of the third part', (bytes: Buffer) => Buffer.concat([bytes, Buffer.from([0])]), 'size_mismatch'],
    ['one byte short', (bytes: Buffer) => bytes.subarray(0, -1), 'size_mismatch'],
  ] as const) {
    it(`leaves nothing at the key and no upload open when a multipart body has ${what}`, async () => {
      const { store: s3, prefix, commands } = await store({ singlePutMaxBytes: 5 * MiB, partSize: 5 * MiB });
      const blob = testBlob(randomBytes(11 * MiB));
      await expectAppError(storeBlob(s3, blob.key, chunked(body(blob.bytes), 256 * 1024), blob.expected), code);
      expect(commands).toContain('UploadPartCommand');
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      expect(await rawKeys(`${prefix}/`)).toEqual([]);
      expect(await openUploads(`${prefix}/`)).toEqual([]);
    });
  }

  it('leaves no upload open when the client goes away mid-part', async () => {
    const { store: s3, prefix } = await store({ singlePutMaxBytes: 5 * MiB, partSize: 5 * MiB });
    const blob = testBlob(randomBytes(11 * MiB));
    async function* goesAway(): AsyncGenerator<Buffer> {
      yield* chunked(blob.bytes.subarray(0, 7 * MiB));
      throw Object.assign(new Error('the client went away mid-body'), { code: 'ECONNRESET' });
    }
    await expect(storeBlob(s3, blob.key, goesAway(), blob.expected)).rejects.toThrow('the client went away mid-body');
    expect(await rawKeys(`${prefix}/`)).toEqual([]);
    expect(await openUploads(`${prefix}/`)).toEqual([]);
  });
});

describe('garbage collection of a killed instance’s multipart upload', () => {
  it('leaves nothing at the key, and GC aborts the upload once older than the stale age', async () => {
    const prefix = `killed-${randomUUID()}`;
    const dataDir = await makeTempDir('presscloud-killed-');
    const instance = await startServeProcess(dataDir, ['--blob-store', `s3://${moto.bucket}/${prefix}`], moto.env);
    const token = /\n {2}(\S+)\n/.exec(instance.stderr())?.[1] ?? '';
    const bytes = randomBytes(24 * MiB);
    const blob = testBlob(bytes);
    const api = new Api(instance.url, token);
    const session = await api.createSession([{ path: 'big.bin', sha256: blob.expected.sha256, size: bytes.length }]);
    const request = http.request(`${instance.url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.expected.sha256}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'x-upload-token': session.uploadToken,
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.length),
      },
    });
    request.on('error', () => undefined);
    request.write(bytes.subarray(0, 12 * MiB));
    // Killed once its first part has reached the store: the upload is open there, mid-way.
    await moto.waitForRequest(new RegExp(`PUT /${moto.bucket}/${prefix}/\\S+${blob.expected.sha256}\\?[^ ]*partNumber=1`));
    await instance.kill();
    request.destroy();

    const objectKey = `${prefix}/${blob.key}`;
    expect(await rawKeys(`${prefix}/`)).toEqual([]);
    expect(await openUploads(`${prefix}/`)).toEqual([objectKey]);
    // An upload of something that is not a blob key is not ours to abort.
    const foreign = await client.send(new CreateMultipartUploadCommand({ Bucket: moto.bucket, Key: `${prefix}/notes.txt` }));

    const metadata = await openMetadataStore({ databaseUrl: undefined, dataDir });
    const gc = async (staleUploadAgeMs: number) => {
      const blobs = new S3BlobStore({ bucket: moto.bucket, prefix }, { client: newClient(), staleUploadAgeMs });
      try {
        return await collectGarbage({ metadata, blobs, graceSeconds: 3600, sessionRetentionSeconds: 3600, now: new Date() });
      } finally {
        await blobs.close();
      }
    };
    try {
      // moto dates every upload 2010-11-10: an age of twenty years makes it one still running, which GC keeps.
      expect((await gc(TWENTY_YEARS_MS)).abortedUploads).toBe(0);
      expect(await openUploads(`${prefix}/`)).toEqual([`${prefix}/notes.txt`, objectKey].sort());
      expect((await gc(0)).abortedUploads).toBe(1);
      expect(await openUploads(`${prefix}/`)).toEqual([`${prefix}/notes.txt`]);
    } finally {
      await metadata.close();
      await client.send(new AbortMultipartUploadCommand({ Bucket: moto.bucket, Key: `${prefix}/notes.txt`, UploadId: foreign.UploadId }));
    }
  });
});
