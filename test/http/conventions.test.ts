// API.md "HTTP conventions", through real sockets: WWW-Authenticate, HEAD on every GET, 404 against 405,
// X-Request-Id, media types of bodies, and early errors that still reach a client busy sending.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, errorOf, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';
import { RawConnection } from './raw-connection.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

const SHA = 'a'.repeat(64);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('401', () => {
  const routes: Array<[string, string]> = [
    ['POST', '/v1/upload-sessions'],
    ['GET', '/v1/upload-sessions/us_x'],
    ['PUT', `/v1/upload-sessions/us_x/blobs/${SHA}`],
    ['POST', '/v1/upload-sessions/us_x/complete'],
    ['DELETE', '/v1/upload-sessions/us_x'],
    ['GET', `/v1/manifests/${SHA}`],
    ['GET', `/v1/blobs/${SHA}`],
  ];

  it.each(routes)('%s %s carries WWW-Authenticate, with error="invalid_token" for an unknown token', async (method, path) => {
    const missing = await fetch(`${server.url}${path}`, { method });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="presscloud"');
    const unknown = await new Api(server.url, 'pct_unknown').request(method, path, { headers: { 'x-upload-token': 'pcu_x' } });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="presscloud", error="invalid_token"');
  });
});

describe('HEAD', () => {
  it("is answered on every GET route, with the GET's status and headers and no body", async () => {
    const blob = makeBlob('head.txt', 'HEAD me');
    const manifestId = await api.publish([blob]);
    const session = await api.createSession([makeBlob('other.txt', 'other')]);
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const values: Record<string, string> = { uploadSessionId: session.uploadSessionId, sha256: blob.sha256, manifestId };
    const getPaths = Object.keys(document.paths).filter((path) => 'get' in document.paths[path]);
    expect(getPaths.length).toBeGreaterThan(5);
    for (const template of [...getPaths, '/openapi.json', '/']) {
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => values[name]);
      const get = await api.request('GET', path);
      const head = await api.request('HEAD', path);
      expect([path, head.status], 'HEAD status').toEqual([path, get.status]);
      expect(head.headers.get('content-type'), path).toBe(get.headers.get('content-type'));
      // /metrics changes between two requests (it counts them); its length cannot match.
      if (path !== '/metrics') expect(head.headers.get('content-length'), path).toBe(get.headers.get('content-length'));
      expect(await head.text(), path).toBe('');
    }
  });
});

describe('unknown paths and wrong methods', () => {
  it.each(['/healthz/', '/openapiXjson', '/v1/upload-sessions/', `/v1/blobs/${SHA}/`, '/v1/upload-sessions/us_x/complete/', '/nothing'])(
    'GET %s is 404 not_found',
    async (path) => {
      const error = await errorOf(await api.request('GET', path));
      expect([error.status, error.error]).toEqual([404, 'not_found']);
    },
  );

  it.each([
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/openapi.json', 'GET, HEAD'],
    ['PUT', `/v1/blobs/${SHA}`, 'GET, HEAD'],
    ['GET', `/v1/upload-sessions/us_x/blobs/${SHA}`, 'PUT'],
  ])('%s %s is 405 method_not_allowed with Allow: %s', async (method, path, allow) => {
    const response = await api.request(method, path);
    expect(response.headers.get('allow')).toBe(allow);
    const error = await errorOf(response);
    expect([error.status, error.error]).toEqual([405, 'method_not_allowed']);
  });
});

describe('X-Request-Id', () => {
  it.each([
    ['a short id', 'trace-123'],
    ['visible ASCII punctuation', 'req/2026:11#a=b'],
    ['128 characters', 'r'.repeat(128)],
  ])('echoes %s', async (_name, id) => {
    expect((await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': id } })).headers.get('x-request-id')).toBe(id);
  });

  it.each([
    ['129 characters', 'r'.repeat(129)],
    ['5,000 bytes', 'x'.repeat(5000)],
    ['a space', 'two words'],
    ['a tab', 'a\tb'],
    ['non-ASCII', 'caf\u00e9'],
  ])('replaces %s with one of its own', async (_name, id) => {
    expect((await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': id } })).headers.get('x-request-id')).toMatch(UUID);
  });

  it.each([
    ['a request that is not HTTP', 'HELLO THERE\r\n\r\n', 400],
    ['headers over the limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(32 * 1024)}\r\n\r\n`, 431],
  ])('comes with the answer to %s', async (_name, request, status) => {
    const connection = await RawConnection.open(server.url);
    try {
      await connection.write(request);
      const answer = await connection.readAnswer();
      expect(answer.status).toBe(status);
      expect(answer.headers['x-request-id']).toMatch(UUID);
    } finally {
      connection.close();
    }
  });
});

describe('request bodies', () => {
  it('lets complete and abort through with Content-Type: application/json and an empty body', async () => {
    const blob = makeBlob('empty-json.txt', 'complete me');
    const session = await api.createSession([blob]);
    expect((await api.putBlob(session, blob.sha256, blob.bytes)).status).toBe(200);
    const json = { 'x-upload-token': session.uploadToken, 'content-type': 'application/json' };
    const completed = await api.request('POST', `/v1/upload-sessions/${session.uploadSessionId}/complete`, { headers: json });
    expect(completed.status).toBe(200);
    const other = await api.createSession([makeBlob('abort.txt', 'abort me')]);
    const aborted = await api.request('DELETE', `/v1/upload-sessions/${other.uploadSessionId}`, {
      headers: { ...json, 'x-upload-token': other.uploadToken },
    });
    expect(aborted.status).toBe(204);
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['application/x-www-form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['no Content-Type', {}],
  ])('answers a JSON body sent as %s with 415 unsupported_media_type', async (_name, headers) => {
    const body = JSON.stringify({ files: [{ path: 'a', sha256: SHA, size: 1 }] });
    const error = await errorOf(
      await fetch(`${server.url}/v1/upload-sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, ...headers },
        body: Buffer.from(body),
      }),
    );
    expect([error.status, error.error]).toEqual([415, 'unsupported_media_type']);
  });
});

describe('an error answered before the body was read', () => {
  const put = `/v1/upload-sessions/us_x/blobs/${SHA}`;
  const BAD_TOKENS = 'Authorization: Bearer pct_unknown\r\nX-Upload-Token: pcu_x\r\n';

  it('reaches fetch while it is still sending a raw or a multipart body', async () => {
    const raw = await fetch(`${server.url}${put}`, {
      method: 'PUT',
      headers: { authorization: 'Bearer pct_unknown', 'x-upload-token': 'pcu_x', 'content-type': 'application/octet-stream' },
      body: randomBytes(3 * 1024 * 1024),
    });
    expect([raw.status, (await errorOf(raw)).error]).toEqual([401, 'invalid_token']);
    const form = new FormData();
    form.append(SHA, new Blob([randomBytes(3 * 1024 * 1024)]), 'part.bin');
    const multipart = await fetch(`${server.url}/v1/upload-sessions`, {
      method: 'POST',
      headers: { authorization: 'Bearer pct_unknown' },
      body: form,
    });
    expect([multipart.status, (await errorOf(multipart)).error]).toEqual([401, 'invalid_token']);
  });

  it('keeps the connection: the body is read and dropped, and the next request on it is answered', async () => {
    const connection = await RawConnection.open(server.url);
    try {
      const body = randomBytes(2 * 1024 * 1024);
      await connection.write(`PUT ${put} HTTP/1.1\r\nHost: x\r\n${BAD_TOKENS}Content-Length: ${body.length}\r\n\r\n`);
      for (let offset = 0; offset < body.length; offset += 256 * 1024) await connection.write(body.subarray(offset, offset + 256 * 1024));
      const refused = await connection.readAnswer();
      expect([refused.status, refused.headers.connection]).toEqual([401, 'keep-alive']);
      await connection.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      expect((await connection.readAnswer()).status).toBe(200);
    } finally {
      connection.close();
    }
  });

  it('closes the connection once more than a few MiB would have to be read', async () => {
    const connection = await RawConnection.open(server.url);
    try {
      const declared = 64 * 1024 * 1024;
      await connection.write(`PUT ${put} HTTP/1.1\r\nHost: x\r\n${BAD_TOKENS}Content-Length: ${declared}\r\n\r\n`);
      // Past the bound, then nothing more: the answer must come without the rest of the body.
      const chunk = Buffer.alloc(512 * 1024);
      try {
        for (let sent = 0; sent <= 5 * 1024 * 1024; sent += chunk.length) await connection.write(chunk);
      } catch (err) {
        // The server may answer and close while the last of these bytes are still on their way: the write then
        // fails, and the answer it sent first must still be there to read.
        expect((err as NodeJS.ErrnoException).code).toMatch(/^(EPIPE|ECONNRESET)$/);
      }
      const refused = await connection.readAnswer();
      expect([refused.status, refused.headers.connection]).toEqual([401, 'close']);
      expect(await connection.closedByServer()).toBe(true);
    } finally {
      connection.close();
    }
  });
});
