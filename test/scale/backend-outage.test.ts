// When a scale-out backend goes away, requests answer 503 storage_unavailable (never a 500 or a hang),
// /readyz says which one is down, and nothing is recorded for a blob that could not be stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, errorOf, makeBlob } from '../support/api.js';
import { createTestSchema, POSTGRES_URL, type TestSchema } from '../support/postgres.js';
import { startS3rver, type RunningS3rver } from '../support/s3rver.js';
import { startServer, type TestServer } from '../support/server.js';

let schema: TestSchema;
let s3: RunningS3rver;
let server: TestServer;
let api: Api;

beforeAll(async () => {
  schema = await createTestSchema();
  s3 = await startS3rver();
  Object.assign(process.env, s3.env);
  server = await startServer({
    databaseSchema: schema.schema,
    config: { databaseUrl: POSTGRES_URL, blobStore: `s3://${s3.bucket}/outage` },
  });
  api = new Api(server.url, server.token);
});
afterAll(async () => {
  await server?.stop();
  await s3?.stop().catch(() => undefined);
  await schema?.drop();
});

describe('an object store outage', () => {
  it('answers 503 storage_unavailable to a PUT and to a download, and /readyz names the blob store', async () => {
    const stored = makeBlob('before.txt', 'stored before the outage');
    await api.publish([stored]);
    const blob = makeBlob('during.txt', 'sent during the outage');
    const session = await api.createSession([blob]);

    await s3.stop();

    const put = await errorOf(await api.putBlob(session, blob.sha256, blob.bytes));
    expect([put.status, put.error]).toEqual([503, 'storage_unavailable']);
    const download = await errorOf(await api.request('GET', `/v1/blobs/${stored.sha256}`));
    expect([download.status, download.error]).toEqual([503, 'storage_unavailable']);
    const ready = await errorOf(await fetch(`${server.url}/readyz`));
    expect([ready.status, ready.error]).toEqual([503, 'not_ready']);
    expect(ready.message).toMatch(/blob store/);

    const status = (await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { missing: string[] };
    expect(status.missing).toEqual([blob.sha256]);
  });
});
