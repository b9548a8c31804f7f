// Bodies stream through a real socket into a real child-process server: memory stays flat for 1 GiB,
// and a client that disconnects mid-body leaves nothing behind.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobKey } from '../../src/domain/blob-key.js';
import { Api } from '../support/api.js';
import { processMemory, startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import { allowFor } from '../support/timeouts.js';

const GiB = 1024 ** 3;
const BLOCK = randomBytes(1024 * 1024);

let dataDir: string;
let server: ServeProcess;
let api: Api;

beforeAll(async () => {
  dataDir = await makeTempDir();
  server = await startServeProcess(dataDir);
  const token = /pct_[A-Za-z0-9_-]{43}/.exec(server.stderr())?.[0];
  if (!token) throw new Error(`no bootstrap token in: ${server.stderr()}`);
  api = new Api(server.url, token);
});
afterAll(async () => {
  await server?.kill();
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** A body of `blocks` copies of BLOCK, with `tail` extra bytes (so each test has its own digest). */
function repeatedBlob(blocks: number, tail: Buffer) {
  const hash = createHash('sha256');
  for (let i = 0; i < blocks; i++) hash.update(BLOCK);
  hash.update(tail);
  return { sha256: hash.digest('hex'), size: blocks * BLOCK.length + tail.length };
}

/** Writes the body with backpressure; `stopAfter` bytes then destroys the socket instead of finishing. */
function sendBody(
  url: string,
  headers: Record<string, string>,
  blocks: number,
  tail: Buffer,
  stopAfter?: number,
): Promise<{ status: number; body: string } | 'destroyed'> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'PUT', headers });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', (err) => (stopAfter !== undefined ? resolve('destroyed') : reject(err)));
    let sent = 0;
    let block = 0;
    const pump = () => {
      while (block < blocks) {
        if (stopAfter !== undefined && sent >= stopAfter) {
          request.destroy();
          resolve('destroyed');
          return;
        }
        block += 1;
        sent += BLOCK.length;
        if (!request.write(BLOCK)) {
          request.once('drain', pump);
          return;
        }
      }
      request.end(tail);
    };
    pump();
  });
}

function blobFile(sha256: string): string {
  return path.join(dataDir, 'blobs', ...blobKey(sha256).split('/'));
}

describe('streaming PUT bodies', () => {
  it(
    'stores 1 GiB with flat server memory',
    async () => {
      const tail = randomBytes(17);
      const blob = repeatedBlob(GiB / BLOCK.length, tail);
      const session = await api.createSession([{ path: 'huge.bin', ...blob }]);
      const before = await processMemory(server.child.pid ?? 0);
      let peakRss = before.rss;
      const sampler = setInterval(() => {
        processMemory(server.child.pid ?? 0).then(
          (m) => (peakRss = Math.max(peakRss, m.rss)),
          () => undefined,
        );
      }, 50);
      const result = await sendBody(
        `${server.url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.sha256}`,
        {
          authorization: `Bearer ${api.token}`,
          'x-upload-token': session.uploadToken,
          'content-type': 'application/octet-stream',
          'content-length': String(blob.size),
        },
        GiB / BLOCK.length,
        tail,
      );
      clearInterval(sampler);
      expect(result).not.toBe('destroyed');
      expect(result !== 'destroyed' && result.status).toBe(200);
      expect((await fs.stat(blobFile(blob.sha256))).size).toBe(blob.size);
      const growthMiB = (peakRss - before.rss) / 1024 ** 2;
      console.log(
        `1 GiB PUT: server RSS ${Math.round(before.rss / 1024 ** 2)} MiB before, ` +
          `peak ${Math.round(peakRss / 1024 ** 2)} MiB during (+${growthMiB.toFixed(1)} MiB)`,
      );
      // Flat means bounded by buffers, not by the body: well under a tenth of the 1 GiB sent.
      expect(growthMiB).toBeLessThan(96);
    },
    allowFor(15_000),
  ); // 1 GiB through a child process: 15 s idle

  it('keeps nothing from a client that disconnects mid-body, and a retry then succeeds', async () => {
    const tail = randomBytes(5);
    const blob = repeatedBlob(64, tail);
    const session = await api.createSession([{ path: 'cut.bin', ...blob }]);
    const url = `${server.url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.sha256}`;
    const headers = {
      authorization: `Bearer ${api.token}`,
      'x-upload-token': session.uploadToken,
      'content-type': 'application/octet-stream',
      'content-length': String(blob.size),
    };
    expect(await sendBody(url, headers, 64, tail, 20 * BLOCK.length)).toBe('destroyed');

    // The server notices the reset asynchronously: wait until the temporary is gone (a server that never
    // removes it fails on the test's timeout).
    while ((await fs.readdir(path.join(dataDir, 'tmp'))).length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(fs.stat(blobFile(blob.sha256))).rejects.toThrow(/ENOENT/);
    const status = (await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { missing: string[] };
    expect(status.missing).toEqual([blob.sha256]);

    const retry = await sendBody(url, headers, 64, tail);
    expect(retry !== 'destroyed' && retry.status).toBe(200);
    expect((await fs.stat(blobFile(blob.sha256))).size).toBe(blob.size);
  });
});
