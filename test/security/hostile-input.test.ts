// Hostile input on a real socket: stalled bodies, oversized headers and JSON, and the manifest size limit.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { createSession, downloadBlob, sendRequest, sessionStatus, sha256Of, type OpenSession } from '../support/api.js';
import { tmpFiles } from '../support/fs-store.js';

const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;
const BODY_TIMEOUT_SECONDS = 2;

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: { bodyTimeoutSeconds: BODY_TIMEOUT_SECONDS, maxJsonBodyBytes: MAX_JSON_BODY_BYTES } });
});

afterAll(async () => {
  await server?.stop();
});

/** A PUT whose body is written in `parts` with `gapMs` between them (then, if `stall`, never finished). */
function trickle(
  session: OpenSession,
  content: Buffer,
  parts: number,
  gapMs: number,
  stall: boolean,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${sha256Of(content)}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${server.token}`,
        'x-upload-token': session.uploadToken,
        'content-type': 'application/octet-stream',
        'content-length': content.length,
      },
    });
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    const partBytes = Math.ceil(content.length / parts);
    let sent = 0;
    const sendNext = () => {
      const last = sent + partBytes >= content.length;
      if (last && stall) return;
      if (last) return request.end(content.subarray(sent));
      request.write(content.subarray(sent, sent + partBytes));
      sent += partBytes;
      setTimeout(sendNext, gapMs);
    };
    sendNext();
  });
}

/** Sends raw bytes on a new connection and returns everything the server wrote back before closing. */
function rawExchange(bytes: string): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseRawAnswer(answer: string): { statusLine: string; body: unknown } {
  const [head, body] = answer.split('\r\n\r\n');
  return { statusLine: head.split('\r\n')[0], body: JSON.parse(body) };
}

describe('slow and stalled bodies', () => {
  it('drops a body that stalls with 408 request_timeout and removes its temporary file', async () => {
    const content = randomBytes(200_000);
    const session = (await createSession(server.url, server.token, [{ path: 'stalled.bin', content }])).body;
    const answer = await trickle(session, content, 4, 50, true);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'request_timeout' });
    expect(await tmpFiles(server.dataDir)).toEqual([]);
    expect((await sessionStatus(server.url, server.token, session.uploadSessionId)).body.missing).toEqual([sha256Of(content)]);
    expect((await downloadBlob(server.url, server.token, sha256Of(content))).status).toBe(404);
  });

  it('lets a slow body through as long as it never stalls for the whole timeout', async () => {
    const content = randomBytes(100_000);
    const session = (await createSession(server.url, server.token, [{ path: 'slow.bin', content }])).body;
    // Gaps of an eighth of the (idle) body timeout, so that a busy machine's late timers cannot stretch one
    // past it; ten parts (nine gaps), so that the whole body takes longer than the timeout.
    const gapMs = (BODY_TIMEOUT_SECONDS * 1000) / 8;
    const answer = await trickle(session, content, 10, gapMs, false);
    expect(answer.status).toBe(200);
  });
});

describe('size limits', () => {
  it('answers headers over the limit with 431 and a JSON body', async () => {
    const answer = parseRawAnswer(
      await rawExchange(`GET /healthz HTTP/1.1\r\nHost: presscloud\r\nX-Padding: ${'a'.repeat(32 * 1024)}\r\n\r\n`),
    );
    expect(answer.statusLine).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer.body).toEqual({ error: 'headers_too_large', message: expect.any(String) });
  });

  it('answers a request that is not HTTP with 400 and a JSON body', async () => {
    const answer = parseRawAnswer(await rawExchange('HELLO THERE\r\n\r\n'));
    expect(answer.statusLine).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer.body).toMatchObject({ error: 'invalid_request' });
  });

  it('answers a JSON body over maxJsonBodyBytes with 413 payload_too_large, with or without Content-Length', async () => {
    const oversized = Buffer.from(
      JSON.stringify({ files: [{ path: 'x', sha256: '0'.repeat(64), size: 1, mime: 'a/b' }], padding: 'p'.repeat(MAX_JSON_BODY_BYTES) }),
    );
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
    const declared = await sendRequest(
      `${server.url}/v1/upload-sessions`,
      'POST',
      { ...headers, 'content-length': String(oversized.length) },
      oversized,
    );
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text)).toMatchObject({ error: 'payload_too_large' });
    const chunked = await sendRequest(
      `${server.url}/v1/upload-sessions`,
      'POST',
      { ...headers, 'transfer-encoding': 'chunked' },
      oversized,
    );
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.text)).toMatchObject({ error: 'payload_too_large' });
  });

  it('accepts a manifest of 100,000 files and refuses 100,001 with a clear 400', async () => {
    const files = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        path: `site/${Math.floor(i / 1000)}/page-${i}.html`,
        sha256: sha256Of(`page ${i}`),
        size: 7 + String(i).length,
      }));
    const post = (count: number) =>
      fetch(`${server.url}/v1/upload-sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ files: files(count) }),
      });

    const accepted = await post(100_000);
    expect(accepted.status).toBe(201);
    expect(await accepted.json()).toMatchObject({ fileCount: 100_000, blobCount: 100_000 });

    const refused = await post(100_001);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'invalid_request', message: 'files lists 100001 entries; the limit is 100000.' });
  });
});
