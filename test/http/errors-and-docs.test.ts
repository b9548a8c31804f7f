// Every failure is the flat {"error","message"}; the OpenAPI document lists every route, status and code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/domain/errors.js';
import { Api, errorOf, makeBlob } from '../support/api.js';
import { startServer, TEST_BACKEND, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer({ config: { maxJsonBodyBytes: 4096 } });
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

interface OpenApiDocument {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses: Record<string, unknown>; parameters?: Array<{ name: string; in: string; required?: boolean }> }>
  >;
}

async function openApi(): Promise<OpenApiDocument> {
  const response = await fetch(`${server.url}/openapi.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApiDocument;
}

describe('errors', () => {
  it.each([
    ['an unknown route', 'GET', '/v2/nothing', undefined, 404, 'not_found'],
    ['a wrong method', 'PATCH', '/v1/upload-sessions', undefined, 405, 'method_not_allowed'],
    ['a wrong method on a parametrised route', 'POST', `/v1/blobs/${'a'.repeat(64)}`, undefined, 405, 'method_not_allowed'],
    ['malformed JSON', 'POST', '/v1/upload-sessions', '{"files": [', 400, 'invalid_json'],
    ['an empty JSON body', 'POST', '/v1/upload-sessions', '', 400, 'invalid_json'],
    [
      'a JSON body over the limit',
      'POST',
      '/v1/upload-sessions',
      JSON.stringify({ files: [{ path: 'x'.repeat(5000), sha256: 'a'.repeat(64), size: 1 }] }),
      413,
      'payload_too_large',
    ],
  ])('answers %s with the flat error body', async (_name, method, path, raw, status, code) => {
    const headers: Record<string, string> = raw === undefined ? {} : { 'content-type': 'application/json' };
    const response = await api.request(method, path, { raw, headers });
    const error = await errorOf(response);
    expect([error.status, error.error]).toEqual([status, code]);
    expect(Object.keys(error.body).sort()).toEqual(['error', 'message']);
  });

  it('answers 415 to a JSON route sent another media type', async () => {
    const error = await errorOf(
      await api.request('POST', '/v1/upload-sessions', {
        raw: 'files=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect([error.status, error.error]).toEqual([415, 'unsupported_media_type']);
  });

  it('answers 401 without a token and 401 invalid_token for an unknown one', async () => {
    const none = await errorOf(await fetch(`${server.url}/v1/upload-sessions/x`));
    expect([none.status, none.error]).toEqual([401, 'unauthenticated']);
    const unknown = await errorOf(await new Api(server.url, 'pct_nope').request('GET', '/v1/upload-sessions/x'));
    expect([unknown.status, unknown.error]).toEqual([401, 'invalid_token']);
  });

  it('names the first bad field when the body has the wrong shape', async () => {
    const error = await errorOf(
      await api.request('POST', '/v1/upload-sessions', { body: { files: [{ path: 'a', sha256: 'b'.repeat(64) }] } }),
    );
    expect(error.status).toBe(400);
    expect(error.error).toBe('invalid_request');
    expect(error.message).toBe('files[0].size is required.');
  });
});

describe('operations', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const expected = TEST_BACKEND === 'postgres-s3' ? { database: 'postgres', blobStore: 's3' } : { database: 'sqlite', blobStore: 'fs' };
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: 'ready', ...expected });
  });

  it('counts requests, bytes received, blobs stored and dedupe hits in /metrics', async () => {
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line ? Number(line.split(' ').pop()) : NaN;
    };
    const before = {
      received: await metric('presscloud_blob_bytes_received_total'),
      stored: await metric('presscloud_blobs_stored_total'),
      dedupe: await metric('presscloud_dedupe_hits_total'),
    };
    const blob = makeBlob('counted.bin', Buffer.alloc(5000, 9));
    const session = await api.createSession([blob]);
    expect((await api.putBlob(session, blob.sha256, blob.bytes)).status).toBe(200);
    expect((await api.putBlob(session, blob.sha256, blob.bytes)).status).toBe(200);

    expect(await metric('presscloud_blob_bytes_received_total')).toBe(before.received + 2 * blob.size);
    expect(await metric('presscloud_blobs_stored_total')).toBe(before.stored + 1);
    expect(await metric('presscloud_dedupe_hits_total')).toBe(before.dedupe + 1);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /presscloud_http_requests_total\{method="PUT",route="\/v1\/upload-sessions\/:uploadSessionId\/blobs\/:sha256",status="200"\} [1-9]/,
    );
    const putRoute = 'route="/v1/upload-sessions/:uploadSessionId/blobs/:sha256"';
    expect(text).toContain(`presscloud_http_request_duration_seconds_count{method="PUT",${putRoute}}`);
    expect(text).toMatch(/presscloud_http_request_duration_seconds_count\{method="PUT",route="[^"]+:sha256"\} [1-9]/);
  });

  it('serves a rendered reference at /docs', async () => {
    const response = await fetch(`${server.url}/docs`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/swagger/i);
  });

  it('echoes a valid X-Request-Id and makes one up otherwise', async () => {
    const given = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const made = await fetch(`${server.url}/healthz`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('/openapi.json', () => {
  it('is OpenAPI 3.1 and lists every route of API.md', async () => {
    const doc = await openApi();
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        'POST /v1/upload-sessions',
        'GET /v1/upload-sessions/{uploadSessionId}',
        'PUT /v1/upload-sessions/{uploadSessionId}/blobs/{sha256}',
        'POST /v1/upload-sessions/{uploadSessionId}/blobs',
        'POST /v1/upload-sessions/{uploadSessionId}/complete',
        'DELETE /v1/upload-sessions/{uploadSessionId}',
        'GET /v1/manifests',
        'GET /v1/manifests/{manifestId}',
        'HEAD /v1/manifests/{manifestId}',
        'GET /v1/access',
        'DELETE /v1/manifests/{manifestId}',
        'PUT /v1/aliases/{name}',
        'GET /v1/aliases',
        'GET /v1/aliases/{name}',
        'DELETE /v1/aliases/{name}',
        'GET /v1/blobs/{sha256}',
        'HEAD /v1/blobs/{sha256}',
        'OPTIONS /v1/upload-sessions/{uploadSessionId}/uploads',
        'POST /v1/upload-sessions/{uploadSessionId}/uploads',
        'HEAD /v1/upload-sessions/{uploadSessionId}/uploads/{uploadId}',
        'PATCH /v1/upload-sessions/{uploadSessionId}/uploads/{uploadId}',
        'DELETE /v1/upload-sessions/{uploadSessionId}/uploads/{uploadId}',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
      ].sort(),
    );
  });

  it("lists every status of the seed's PUT and its headers", async () => {
    const put = (await openApi()).paths['/v1/upload-sessions/{uploadSessionId}/blobs/{sha256}'].put;
    for (const status of ['200', '400', '401', '403', '404', '409', '410', '503', '507'])
      expect(Object.keys(put.responses)).toContain(status);
    expect(put.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'uploadSessionId', in: 'path', required: true }),
        expect.objectContaining({ name: 'sha256', in: 'path', required: true }),
        expect.objectContaining({ name: 'x-upload-token', in: 'header', required: true }),
      ]),
    );
  });

  it('mentions every error code of the table: in the routes that answer it, or in the shared Error schema', async () => {
    const doc = (await openApi()) as OpenApiDocument & {
      components: { schemas: { Error: { properties: { error: { enum: string[] } } } } };
    };
    const inRoutes = JSON.stringify(doc.paths);
    const outsideRoutes = Object.keys(ERRORS).filter((code) => !inRoutes.includes(`"${code}"`));
    // Only the codes answered before any route is found live outside the routes.
    expect(outsideRoutes.sort()).toEqual(['headers_too_large', 'method_not_allowed', 'not_found']);
    expect(doc.components.schemas.Error.properties.error.enum.sort()).toEqual(Object.keys(ERRORS).sort());
  });
});
