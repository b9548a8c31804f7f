// SIGTERM to a `presscloud serve` process: it stops accepting connections, reports not ready on the ones
// it still has, lets an in-flight upload finish, and exits 0; past the shutdown timeout it cuts what is left.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { openMetadataStore } from '../../src/runtime.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import { createSession, downloadBlob, sha256Of, type OpenSession } from '../support/api.js';
import { tmpFiles } from '../support/fs-store.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshDataDir(): Promise<{ dataDir: string; token: string }> {
  const dataDir = await makeTempDir('presscloud-shutdown-');
  cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
  const metadata = await openMetadataStore({ dataDir, databaseUrl: undefined });
  try {
    return { dataDir, token: await issueApiToken(metadata, 'shutdown', ['upload', 'read']) };
  } finally {
    await metadata.close();
  }
}

async function serve(dataDir: string, args: string[] = []): Promise<ServeProcess> {
  const server = await startServeProcess(dataDir, args);
  cleanups.push(() => server.kill());
  return server;
}

interface SlowPut {
  /** Sends the rest of the body. */
  finish(): void;
  readonly response: Promise<{ status: number; body: string }>;
}

/** A PUT whose body is sent in two parts: the first now, the rest when finish() is called. */
function startSlowPut(url: string, token: string, session: OpenSession, content: Buffer, firstPart: number): SlowPut {
  const request = http.request(`${url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${sha256Of(content)}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${token}`,
      'x-upload-token': session.uploadToken,
      'content-type': 'application/octet-stream',
      'content-length': content.length,
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
  response.catch(() => undefined);
  request.write(content.subarray(0, firstPart));
  return { finish: () => request.end(content.subarray(firstPart)), response };
}

/** Resolves once the server is reading the upload's body: its temporary file exists. */
async function bodyArriving(dataDir: string): Promise<void> {
  while ((await tmpFiles(dataDir)).length === 0) await new Promise((r) => setTimeout(r, 10));
}

/**
 * Resolves once a new connection to the port is refused (the listener is closed). No deadline of its own:
 * a listener that stays open fails the test on its timeout.
 */
async function refusesConnections(url: string): Promise<void> {
  const { port } = new URL(url);
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const TEST_TIMEOUT_MS = 60_000;
/** Longer than the test may run: the drain it waits for must never be cut short by the shutdown timeout. */
const NEVER_SECONDS = String(TEST_TIMEOUT_MS / 1000 + 60);

it(
  'on SIGTERM stops accepting, answers /readyz 503 on a live connection, finishes the in-flight upload with 200 and exits 0',
  async () => {
    const { dataDir, token } = await freshDataDir();
    const server = await serve(dataDir, ['--shutdown-timeout', NEVER_SECONDS]);
    const content = randomBytes(1024 * 1024);
    const session = (await createSession(server.url, token, [{ path: 'slow.bin', content }])).body;
    const upload = startSlowPut(server.url, token, session, content, 512 * 1024);
    await bodyArriving(dataDir);

    // A health check already on its way on an open connection when the signal comes: its request line and
    // a header are sent, the blank line that ends it comes after.
    const { port } = new URL(server.url);
    const probe = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => probe.once('connect', resolve));
    let probeAnswer = '';
    probe.setEncoding('utf8').on('data', (chunk: string) => (probeAnswer += chunk));
    const probeClosed = new Promise((resolve) => probe.once('close', resolve));
    probe.write('GET /readyz HTTP/1.1\r\nHost: presscloud\r\n');
    // A barrier, not a pause: the server answers a request sent after those bytes only after its event loop
    // has read them, and a request it has begun reading is in flight, not an idle connection it may close.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    server.child.kill('SIGTERM');
    await server.waitForOutput('"msg":"draining"');
    await refusesConnections(server.url);

    probe.write('\r\n');
    await probeClosed;
    const [head, body] = probeAnswer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(JSON.parse(body)).toMatchObject({ error: 'not_ready' });

    upload.finish();
    const answered = await upload.response;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toMatchObject({ alreadyPresent: false, blob: { sha256: sha256Of(content), size: content.length } });
    expect(await server.exited).toEqual({ code: 0, signal: null });

    const restarted = await serve(dataDir);
    expect(await downloadBlob(restarted.url, token, sha256Of(content))).toEqual({
      status: 200,
      sha256: sha256Of(content),
      size: content.length,
    });
  },
  TEST_TIMEOUT_MS,
);

it('past the shutdown timeout cuts a stalled upload, exits 0 and keeps nothing of it', async () => {
  const { dataDir, token } = await freshDataDir();
  const server = await serve(dataDir, ['--shutdown-timeout', '1']);
  const content = randomBytes(256 * 1024);
  const session = (await createSession(server.url, token, [{ path: 'stalled.bin', content }])).body;
  const upload = startSlowPut(server.url, token, session, content, 100 * 1024);
  await bodyArriving(dataDir);

  server.child.kill('SIGTERM');
  expect(await server.exited).toEqual({ code: 0, signal: null });
  // Cut, not answered: the body timeout (60 s by default) would have answered 408; the upload never finishes.
  await expect(upload.response).rejects.toThrow();

  const restarted = await serve(dataDir);
  expect(await tmpFiles(dataDir)).toEqual([]);
  expect((await downloadBlob(restarted.url, token, sha256Of(content))).status).toBe(404);
});
