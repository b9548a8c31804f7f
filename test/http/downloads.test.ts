// GET and HEAD /v1/blobs/{sha256}: bytes, headers, single ranges, conditional requests, tenancy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, errorOf, makeBlob, sha256Of } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;
const page = makeBlob('index.html', '<!doctype html><title>0123456789</title>');
const empty = makeBlob('empty.txt', '');

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
  await api.publish([page, empty]);
});
afterAll(async () => server.stop());

describe('GET /v1/blobs/{sha256}', () => {
  it('serves the bytes with length, type, a strong ETag and immutable caching', async () => {
    const response = await api.request('GET', `/v1/blobs/${page.sha256}`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(page.bytes)).toBe(true);
    expect(response.headers.get('content-length')).toBe(String(page.size));
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(response.headers.get('etag')).toBe(`"${page.sha256}"`);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('cache-control')).toContain('immutable');
  });

  it('serves a zero-byte blob', async () => {
    const response = await api.request('GET', `/v1/blobs/${empty.sha256}`);
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it.each([
    ['bytes=0-0', 0, 0],
    ['bytes=5-9', 5, 9],
    ['bytes=10-', 10, page.size - 1],
    ['bytes=-4', page.size - 4, page.size - 1],
    [`bytes=3-${page.size + 100}`, 3, page.size - 1],
  ])('answers %s with 206 and the exact slice', async (range, start, end) => {
    const response = await api.request('GET', `/v1/blobs/${page.sha256}`, { headers: { range } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${page.size}`);
    expect(Buffer.from(await response.arrayBuffer()).equals(page.bytes.subarray(start, end + 1))).toBe(true);
  });

  it('answers 416 with Content-Range for a range past the end', async () => {
    const response = await api.request('GET', `/v1/blobs/${page.sha256}`, { headers: { range: `bytes=${page.size}-` } });
    expect(response.headers.get('content-range')).toBe(`bytes */${page.size}`);
    const error = await errorOf(response);
    expect([error.status, error.error]).toEqual([416, 'range_not_satisfiable']);
  });

  it('serves the whole blob for multi-range or malformed Range headers', async () => {
    for (const range of ['bytes=0-1,4-5', 'lines=1-2', 'bytes=5-2']) {
      const response = await api.request('GET', `/v1/blobs/${page.sha256}`, { headers: { range } });
      expect(response.status).toBe(200);
      expect(sha256Of(Buffer.from(await response.arrayBuffer()))).toBe(page.sha256);
    }
  });

  it('answers 304 to If-None-Match with its ETag', async () => {
    const response = await api.request('GET', `/v1/blobs/${page.sha256}`, { headers: { 'if-none-match': `"${page.sha256}"` } });
    expect(response.status).toBe(304);
  });

  it('answers 404 for a blob the tenant does not hold, 400 for a bad sha256, 403 without read scope', async () => {
    const unknown = await errorOf(await api.request('GET', `/v1/blobs/${'0'.repeat(64)}`));
    expect([unknown.status, unknown.error]).toEqual([404, 'blob_not_found']);
    const bad = await errorOf(await api.request('GET', '/v1/blobs/xyz'));
    expect([bad.status, bad.error]).toEqual([400, 'invalid_sha256']);
    const uploadOnly = new Api(server.url, await server.tokenFor('test', ['upload']));
    const forbidden = await errorOf(await uploadOnly.request('GET', `/v1/blobs/${page.sha256}`));
    expect([forbidden.status, forbidden.error]).toEqual([403, 'forbidden']);
  });
});

describe('HEAD /v1/blobs/{sha256}', () => {
  it('answers the headers of a GET without a body', async () => {
    const response = await api.request('HEAD', `/v1/blobs/${page.sha256}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(page.size));
    expect(response.headers.get('etag')).toBe(`"${page.sha256}"`);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
    const missing = await api.request('HEAD', `/v1/blobs/${'0'.repeat(64)}`);
    expect(missing.status).toBe(404);
  });
});
