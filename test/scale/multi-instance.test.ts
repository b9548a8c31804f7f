// Several stateless instances behind one PostgreSQL and one S3 bucket: any instance serves any request,
// concurrent PUTs through different instances are safe, and an instance killed mid-upload leaves nothing.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobKey } from '../../src/domain/blob-key.js';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { openMetadataStore } from '../../src/runtime.js';
import { s3ClientConfigFromEnv } from '../../src/storage/blob/s3/config.js';
import { createS3BlobStore } from '../../src/storage/blob/s3/s3-blob-store.js';
import { S3Client } from '@aws-sdk/client-s3';
import { Api, makeBlob, sha256Of } from '../support/api.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { startS3rver, type RunningS3rver } from '../support/s3rver.js';
import { makeTempDir } from '../support/server.js';

let schema: TestSchema;
let s3: RunningS3rver;
let instances: ServeProcess[] = [];
let token: string;

async function startInstance(): Promise<ServeProcess> {
  // Each instance gets a data dir it must not use for anything that matters: nothing is shared through it.
  const scratch = await makeTempDir('presscloud-instance-');
  return startServeProcess(scratch, ['--database-url', schema.databaseUrl, '--blob-store', `s3://${s3.bucket}/site`], s3.env);
}

beforeAll(async () => {
  schema = await createTestSchema();
  s3 = await startS3rver();
  // Three instances start at once on an empty schema: migrations run under Kysely's lock.
  instances = await Promise.all([startInstance(), startInstance(), startInstance()]);
  const metadata = await openMetadataStore({ databaseUrl: schema.databaseUrl, dataDir: '/nonexistent' });
  token = await issueApiToken(metadata, 'fleet', ['upload', 'read']);
  await metadata.close();
});

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.kill()));
  await s3?.stop();
  await schema?.drop();
});

function bucketStore() {
  return createS3BlobStore(`s3://${s3.bucket}/site`, {
    client: new S3Client({ ...s3ClientConfigFromEnv(s3.env), region: s3.region, credentials: s3.credentials }),
  });
}

describe('many instances, one PostgreSQL, one bucket', () => {
  it('serves one session across every instance', async () => {
    const [a, b, c] = instances.map((instance) => new Api(instance.url, token));
    const blobs = Array.from({ length: 6 }, (_, i) => makeBlob(`page-${i}.html`, randomBytes(1000 + i)));
    const session = await a.createSession(blobs);
    expect(session.missing).toHaveLength(6);
    const apis = [a, b, c];
    for (const [i, blob] of blobs.entries()) expect((await apis[i % 3].putBlob(session, blob.sha256, blob.bytes)).status).toBe(200);
    const status = (await (await c.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { missing: string[] };
    expect(status.missing).toEqual([]);
    const completed = await b.complete(session);
    expect(completed.status).toBe(200);
    const { manifest } = (await completed.json()) as { manifest: { manifestId: string } };
    const read = await c.request('GET', `/v1/manifests/${manifest.manifestId}`);
    expect(((await read.json()) as { fileCount: number }).fileCount).toBe(6);
    const download = await a.request('GET', `/v1/blobs/${blobs[4].sha256}`);
    expect(sha256Of(Buffer.from(await download.arrayBuffer()))).toBe(blobs[4].sha256);
  });

  it('takes concurrent PUTs of one blob through different instances and stores one object', async () => {
    const apis = instances.map((instance) => new Api(instance.url, token));
    const blob = makeBlob('shared.bin', randomBytes(2 * 1024 * 1024));
    const session = await apis[0].createSession([blob]);
    const responses = await Promise.all([...apis, ...apis].map((api) => api.putBlob(session, blob.sha256, blob.bytes)));
    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(200));
    const keys: string[] = [];
    for await (const listed of bucketStore().list()) keys.push(listed.key);
    expect(keys.filter((key) => key === blobKey(blob.sha256))).toHaveLength(1);
  });

  it('leaves nothing when an instance is killed mid-upload, and the retry through another succeeds', async () => {
    const [victim, survivor] = instances;
    const bytes = randomBytes(24 * 1024 * 1024);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const api = new Api(survivor.url, token);
    const session = await api.createSession([{ path: 'big.bin', sha256, size: bytes.length }]);

    await new Promise<void>((resolve) => {
      const request = http.request(`${victim.url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${sha256}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${token}`,
          'x-upload-token': session.uploadToken,
          'content-type': 'application/octet-stream',
          'content-length': String(bytes.length),
        },
      });
      request.on('error', () => resolve());
      request.on('response', () => resolve());
      request.write(bytes.subarray(0, 12 * 1024 * 1024), () => {
        void victim.kill();
      });
    });

    const store = bucketStore();
    expect(await store.stat(blobKey(sha256))).toBeNull();
    const status = (await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { missing: string[] };
    expect(status.missing).toEqual([sha256]);

    const retry = await api.putBlob(session, sha256, bytes);
    expect(retry.status).toBe(200);
    expect((await api.complete(session)).status).toBe(200);
    const third = new Api(instances[2].url, token);
    const download = await third.request('GET', `/v1/blobs/${sha256}`);
    expect(sha256Of(Buffer.from(await download.arrayBuffer()))).toBe(sha256);
  });
});
