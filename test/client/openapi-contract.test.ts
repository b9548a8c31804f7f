// The SDK's types are the server's: checked at compile time against the route schemas that generate
// /openapi.json (npm test typechecks), and at run time by validating what the SDK receives against
// the served OpenAPI document.
import { Ajv } from 'ajv';
import type { Static } from 'typebox';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type {
  CompleteUploadSessionResponse,
  CreateUploadSessionRequest,
  CreateUploadSessionResponse,
  Manifest,
  ManifestList,
  PutBlobResponse,
  UploadBlobsResponse,
  UploadSessionStatus,
} from '../../src/api/types.js';
import { PressCloudClient } from '../../src/index.js';
import type {
  CompletedSessionSchema,
  CreatedSessionSchema,
  createSessionBody,
  ManifestListSchema,
  ManifestSchema,
  PutBlobResponse as PutBlobResponseSchema,
  PutBlobsResponse as PutBlobsResponseSchema,
  SessionStatusSchema,
} from '../../src/http/schemas.js';
import { makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

describe('SDK types match the route schemas', () => {
  it('at compile time', () => {
    expectTypeOf<CreateUploadSessionRequest>().toEqualTypeOf<Mutable<Static<ReturnType<typeof createSessionBody>>>>();
    expectTypeOf<CreateUploadSessionResponse>().toEqualTypeOf<Static<typeof CreatedSessionSchema>>();
    expectTypeOf<UploadSessionStatus>().toEqualTypeOf<Static<typeof SessionStatusSchema>>();
    expectTypeOf<PutBlobResponse>().toEqualTypeOf<Static<typeof PutBlobResponseSchema>>();
    expectTypeOf<CompleteUploadSessionResponse>().toEqualTypeOf<Static<typeof CompletedSessionSchema>>();
    expectTypeOf<Manifest>().toEqualTypeOf<Static<typeof ManifestSchema>>();
    expectTypeOf<ManifestList>().toEqualTypeOf<Static<typeof ManifestListSchema>>();
    // The SDK's per-part status and error are wider (number, string) than the route's, so that a code added later
    // still fits; every answer the route can give is one.
    expectTypeOf<Static<typeof PutBlobsResponseSchema>>().toExtend<UploadBlobsResponse>();
  });
});

describe('what the SDK receives validates against /openapi.json', () => {
  let server: TestServer;
  let client: PressCloudClient;
  let document: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };
  const ajv = new Ajv({ strict: false, allErrors: true });

  beforeAll(async () => {
    server = await startServer();
    client = new PressCloudClient({ baseUrl: server.url, token: server.token });
    document = (await (await fetch(`${server.url}/openapi.json`)).json()) as typeof document;
  });
  afterAll(async () => {
    await client.close();
    await server.stop();
  });

  function expectValid(path: string, method: string, status: string, body: unknown): void {
    const schema = document.paths[path][method].responses[status].content?.['application/json']?.schema;
    expect(schema, `${method} ${path} ${status} has a JSON schema`).toBeDefined();
    const validate = ajv.compile({ ...schema, additionalProperties: false });
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  }

  it('for every JSON answer of the upload flow', async () => {
    const blob = makeBlob('index.html', '<p>contract</p>');
    const created = await client.createUploadSession({ files: [{ path: blob.path, sha256: blob.sha256, size: blob.size }] });
    expectValid('/v1/upload-sessions', 'post', '201', created);
    const status = await client.getUploadSession(created.uploadSessionId);
    expectValid('/v1/upload-sessions/{uploadSessionId}', 'get', '200', status);
    const put = await client.putBlob(created.uploadSessionId, created.uploadToken, blob.sha256, blob.bytes, { size: blob.size });
    expectValid('/v1/upload-sessions/{uploadSessionId}/blobs/{sha256}', 'put', '200', put);
    const completed = await client.completeUploadSession(created.uploadSessionId, created.uploadToken);
    expectValid('/v1/upload-sessions/{uploadSessionId}/complete', 'post', '200', completed);
    const manifest = await client.getManifest(completed.manifest.manifestId);
    expectValid('/v1/manifests/{manifestId}', 'get', '200', manifest);
  });

  it('for error bodies', async () => {
    const error = await client.getUploadSession('us_missing').catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 404, code: 'session_not_found' });
    const response = await fetch(`${server.url}/v1/upload-sessions/us_missing`, { headers: { authorization: `Bearer ${server.token}` } });
    expectValid('/v1/upload-sessions/{uploadSessionId}', 'get', '404', await response.json());
  });
});
