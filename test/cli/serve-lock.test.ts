// The data-directory lock of `presscloud serve`, with real child processes on one directory: a second serve
// is refused (on the same port or another) without disturbing an upload in flight, commands that are safe
// beside a server keep working, and a kill -9 of the holder leaves nothing that blocks the next start.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Api, makeBlob, type TestBlob } from '../support/api.js';
import { spawnChild } from '../support/children.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import { runCli, type CliRun } from './run-cli.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/presscloud.js');
const TOKEN = /pct_[A-Za-z0-9_-]{43}/;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await makeTempDir('presscloud-lock-');
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(dataDir: string): Promise<ServeProcess> {
  const server = await startServeProcess(dataDir);
  cleanups.push(() => server.kill());
  return server;
}

function bootstrapToken(server: ServeProcess): string {
  const token = TOKEN.exec(server.stderr() + server.stdout())?.[0];
  if (!token) throw new Error(`no first-start token in:\n${server.stderr()}`);
  return token;
}

/** `presscloud serve` until it exits, or until it says it is serving (then it is killed): a refusal must be an exit. */
function secondServe(dataDir: string, port: string): Promise<CliRun & { served: boolean }> {
  return new Promise((resolve, reject) => {
    const args = [BIN, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', port, '--gc-interval', '0'];
    const child = spawnChild(process.execPath, args, { env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    let served = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!served && stderr.includes('serving on')) {
        served = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr, served }));
  });
}

/** A PUT whose body stops halfway until `finish()`; `staged` resolves once the server holds a .part file for it. */
function halfSentPut(url: string, session: { uploadSessionId: string; uploadToken: string }, blob: TestBlob, token: string) {
  const request = http.request(`${url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.sha256}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${token}`,
      'x-upload-token': session.uploadToken,
      'content-type': 'application/octet-stream',
      'content-length': String(blob.size),
    },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
  const half = Math.floor(blob.size / 2);
  request.write(blob.bytes.subarray(0, half));
  return { answer, finish: () => request.end(blob.bytes.subarray(half)) };
}

async function waitForPartFile(tmpDir: string): Promise<string[]> {
  for (;;) {
    const parts = (await fs.readdir(tmpDir).catch(() => [])).filter((name) => name.endsWith('.part'));
    if (parts.length > 0) return parts;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function listing(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true });
  return entries.sort();
}

describe('presscloud serve and its data-directory lock', () => {
  it('refuses a second serve on the same directory (same port or another) while the first finishes an upload', async () => {
    const dataDir = await tempDir();
    const first = await serve(dataDir);
    const token = bootstrapToken(first);
    const api = new Api(first.url, token);
    const blob = makeBlob('big.bin', randomBytes(4 << 20));
    const session = await api.createSession([blob]);
    const put = halfSentPut(first.url, session, blob, token);
    await waitForPartFile(path.join(dataDir, 'tmp'));
    const before = await listing(dataDir);

    const port = new URL(first.url).port;
    for (const secondPort of [port, '0']) {
      const second = await secondServe(dataDir, secondPort);
      expect(second.served, `the second serve on port ${secondPort} started:\n${second.stderr}`).toBe(false);
      expect(second.exitCode).toBe(1);
      expect(second.stdout).toBe('');
      expect(second.stderr).toMatch(/^presscloud: another presscloud serve is using .+; stop it or give this one another --data-dir\n$/);
    }
    expect(await listing(dataDir)).toEqual(before);

    put.finish();
    expect(await put.answer).toMatchObject({ status: 200 });
    const download = await api.request('GET', `/v1/blobs/${blob.sha256}`);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });

  it('lets token and gc run beside the server, and a new serve start after a kill -9 of the holder', async () => {
    const dataDir = await tempDir();
    const first = await serve(dataDir);
    const created = await runCli(['token', 'create', '--tenant', 'beside', '--data-dir', dataDir]);
    expect(created.exitCode, created.stderr).toBe(0);
    const token = created.stdout.trim();
    const blob = makeBlob('kept.txt', randomBytes(1000));
    await new Api(first.url, token).publish([blob]);
    const gc = await runCli(['gc', '--data-dir', dataDir, '--json']);
    expect(gc.exitCode, gc.stderr).toBe(0);
    expect(JSON.parse(gc.stdout)).toMatchObject({ deletedBlobs: 0 });

    await first.kill();
    expect((await first.exited).signal).toBe('SIGKILL');
    const next = await serve(dataDir);
    const download = await new Api(next.url, token).request('GET', `/v1/blobs/${blob.sha256}`);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });
});
