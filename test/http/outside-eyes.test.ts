// Issue 21's findings about the HTTP surface, through real sockets: the QUERY method, Expect: 100-continue
// answered only once the request may send its body, and a body cut short by a half-close.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';
import { RawConnection } from './raw-connection.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer({ config: { maxBlobSize: 1024 * 1024, maxJsonBodyBytes: 1024 * 1024 } });
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

const SHA = 'a'.repeat(64);

async function rawAnswer(request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const connection = await RawConnection.open(server.url);
  try {
    await connection.write(request);
    return await connection.readAnswer();
  } finally {
    connection.close();
  }
}

describe('the QUERY method', () => {
  it('answers 404 on an unknown path and 405 with Allow on a known one, never 500', async () => {
    const unknown = await rawAnswer('QUERY /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    expect([unknown.status, JSON.parse(unknown.body).error]).toEqual([404, 'not_found']);
    const known = await rawAnswer(
      'QUERY /v1/manifests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    );
    expect([known.status, JSON.parse(known.body).error]).toEqual([405, 'method_not_allowed']);
    expect(known.headers.allow).toContain('GET');
    const health = await rawAnswer('QUERY /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(health.status).toBe(405);
  });
});

describe('Expect: 100-continue', () => {
  const put = (headers: string) =>
    `PUT /v1/upload-sessions/us_x/blobs/${SHA} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/octet-stream\r\n${headers}\r\n`;

  it('answers 401 instead of 100 when the token is missing', async () => {
    const answer = await rawAnswer(put('Content-Length: 3145728\r\nX-Upload-Token: pcu_x\r\n'));
    expect(answer.status).toBe(401);
  });

  it('answers 404 instead of 100 for an unknown session, and 403 for a wrong upload token', async () => {
    const blob = makeBlob('c.txt', 'continue');
    const session = await api.createSession([blob]);
    const unknown = await rawAnswer(put(`Authorization: Bearer ${server.token}\r\nX-Upload-Token: pcu_x\r\nContent-Length: 8\r\n`));
    expect(unknown.status).toBe(404);
    const wrong = await rawAnswer(
      `PUT /v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.sha256} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n` +
        `Authorization: Bearer ${server.token}\r\nX-Upload-Token: pcu_wrong\r\nContent-Length: 8\r\n\r\n`,
    );
    expect(wrong.status).toBe(403);
  });

  it('answers 400 instead of 100 when Content-Length cannot be the blob', async () => {
    const blob = makeBlob('c.txt', 'continue');
    const session = await api.createSession([blob]);
    const head = (length: number) =>
      `PUT /v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.sha256} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n` +
      `Authorization: Bearer ${server.token}\r\nX-Upload-Token: ${session.uploadToken}\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Length: ${length}\r\n\r\n`;
    const tooBig = await rawAnswer(head(3 * 1024 * 1024));
    expect([tooBig.status, JSON.parse(tooBig.body).error]).toEqual([400, 'size_mismatch']);
    const wrongSize = await rawAnswer(head(9));
    expect([wrongSize.status, JSON.parse(wrongSize.body).error]).toEqual([400, 'size_mismatch']);
  });

  it('answers 100 and stores the blob when every check passes', async () => {
    const blob = makeBlob('c.txt', 'continue');
    const session = await api.createSession([blob]);
    const connection = await RawConnection.open(server.url);
    try {
      await connection.write(
        `PUT /v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.sha256} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n` +
          `Authorization: Bearer ${server.token}\r\nX-Upload-Token: ${session.uploadToken}\r\nContent-Type: application/octet-stream\r\n` +
          `Content-Length: ${blob.size}\r\n\r\n`,
      );
      expect((await connection.readAnswer()).status).toBe(100);
      await connection.write(blob.bytes);
      expect((await connection.readAnswer()).status).toBe(200);
    } finally {
      connection.close();
    }
  });

  it('answers 413 instead of 100 for a JSON body over the limit, and 100 for one within it', async () => {
    const head = (length: number) =>
      'POST /v1/upload-sessions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${server.token}\r\nContent-Length: ${length}\r\n\r\n`;
    const tooBig = await rawAnswer(head(3 * 1024 * 1024));
    expect([tooBig.status, JSON.parse(tooBig.body).error]).toEqual([413, 'payload_too_large']);
    const unauthenticated = await rawAnswer(head(10).replace(/Authorization: [^\r]*\r\n/, ''));
    expect(unauthenticated.status).toBe(401);
    const blob = makeBlob('j.txt', 'json');
    const body = JSON.stringify({ files: [{ path: blob.path, sha256: blob.sha256, size: blob.size }] });
    const connection = await RawConnection.open(server.url);
    try {
      await connection.write(head(Buffer.byteLength(body)));
      expect((await connection.readAnswer()).status).toBe(100);
      await connection.write(body);
      expect((await connection.readAnswer()).status).toBe(201);
    } finally {
      connection.close();
    }
  });

  it('answers 401 instead of 100 on the batch route', async () => {
    const answer = await rawAnswer(
      'POST /v1/upload-sessions/us_x/blobs HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Upload-Token: pcu_x\r\n' +
        'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 300000000\r\n\r\n',
    );
    expect(answer.status).toBe(401);
  });
});

describe('a body that ends early', () => {
  it('followed by a half-close is answered 400', async () => {
    const blob = makeBlob('short.txt', 'x'.repeat(100));
    const session = await api.createSession([blob]);
    const connection = await RawConnection.open(server.url);
    try {
      await connection.write(
        `PUT /v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.sha256} HTTP/1.1\r\nHost: x\r\n` +
          `Authorization: Bearer ${server.token}\r\nX-Upload-Token: ${session.uploadToken}\r\nContent-Type: application/octet-stream\r\n` +
          `Content-Length: ${blob.size}\r\n\r\n${'x'.repeat(40)}`,
      );
      connection.halfClose();
      const answer = await connection.readAnswer();
      expect([answer.status, JSON.parse(answer.body).error]).toEqual([400, 'invalid_request']);
    } finally {
      connection.close();
    }
  });
});
