// Sites on several instances behind one PostgreSQL and one S3 bucket: an alias PUT answered by one instance is
// what every other instance serves from the next request on (their caches are keyed by content, never by name).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { openMetadataStore } from '../../src/runtime.js';
import { Api, makeBlob } from '../support/api.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { startS3rver, type RunningS3rver } from '../support/s3rver.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import { siteRequest } from '../support/site-client.js';

let schema: TestSchema;
let s3: RunningS3rver;
let instances: ServeProcess[] = [];
let token: string;

beforeAll(async () => {
  schema = await createTestSchema();
  s3 = await startS3rver();
  const start = async () =>
    startServeProcess(
      await makeTempDir('presscloud-site-instance-'),
      ['--database-url', schema.databaseUrl, '--blob-store', `s3://${s3.bucket}/sites`],
      s3.env,
    );
  instances = [await start(), await start()];
  const metadata = await openMetadataStore({ databaseUrl: schema.databaseUrl, dataDir: '/nonexistent' });
  token = await issueApiToken(metadata, 'fleet', ['upload', 'read', 'publish']);
  await metadata.close();
});

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.kill()));
  await s3?.stop();
  await schema?.drop();
});

it('every instance serves the manifest an alias was pointed at through another, from the next request', async () => {
  const [a, b] = instances;
  const api = new Api(a.url, token);
  const versions = await Promise.all(['one', 'two'].map((name) => api.publish([makeBlob('index.html', `<h1>${name}</h1>`)])));
  for (let round = 0; round < 6; round++) {
    const [via, other] = round % 2 === 0 ? [a, b] : [b, a];
    const manifestId = versions[round % 2];
    const put = await new Api(via.url, token).request('PUT', '/v1/aliases/fleet', { body: { manifestId } });
    expect([200, 201]).toContain(put.status);
    const expected = `<h1>${round % 2 === 0 ? 'one' : 'two'}</h1>`;
    for (const instance of [other, via]) expect((await siteRequest(instance.url, 'fleet.localhost', '/')).text).toBe(expected);
  }
});
