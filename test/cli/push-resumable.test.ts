// `presscloud push` sends big blobs through tus and keeps the upload's URL beside the hash cache: killed
// (SIGKILL) halfway through a 300 MiB file, the next push resumes from the server's offset and sends less
// than 60% of the file again, as counted by a proxy in front of the server.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Of } from '../support/api.js';
import { allowFor } from '../support/timeouts.js';
import { usePushFixture } from './push-fixture.js';
import { runCli, spawnCli } from './run-cli.js';

const MiB = 1024 * 1024;
const SIZE = 300 * MiB;
const fixture = usePushFixture('presscloud-push-resumable-');
const cacheDirs: string[] = [];
afterAll(async () => {
  for (const dir of cacheDirs) await rm(dir, { recursive: true, force: true });
});

interface CountingProxy {
  readonly url: string;
  /** PATCH body bytes forwarded since the last reset. */
  patchBytes: number;
  /** Called as PATCH bytes pass, with the count so far. */
  onPatchBytes: (count: number) => void;
  close(): Promise<void>;
}

async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const proxy: Omit<CountingProxy, 'url' | 'close'> = { patchBytes: 0, onPatchBytes: () => undefined };
  const server = http.createServer((req, res) => {
    const outgoing = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => req.socket.destroy());
    req.on('error', () => outgoing.destroy());
    if (req.method === 'PATCH') {
      req.on('data', (chunk: Buffer) => {
        proxy.patchBytes += chunk.length;
        proxy.onPatchBytes(proxy.patchBytes);
      });
    }
    req.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

describe('presscloud push of a big file', () => {
  it(
    'resumes a push killed at 50% and sends less than 60% of the file again',
    async () => {
      const site = path.join(fixture.workDir, 'site');
      await mkdir(site, { recursive: true });
      const big = randomBytes(SIZE);
      await writeFile(path.join(site, 'film.bin'), big);
      await writeFile(path.join(site, 'index.html'), '<h1>film</h1>\n');
      const cacheDir = await mkdtemp(path.join(tmpdir(), 'presscloud-resumable-cache-'));
      cacheDirs.push(cacheDir);
      const env = { PRESSCLOUD_CACHE_DIR: cacheDir };
      const proxy = await startCountingProxy(fixture.server.url);
      try {
        const args = ['push', site, '--url', proxy.url, '--token', fixture.server.token];
        const killed = spawnCli(args, env);
        proxy.onPatchBytes = (count) => {
          if (count >= SIZE / 2) killed.signal('SIGKILL');
        };
        expect((await killed.done).signal).toBe('SIGKILL');
        const firstRun = proxy.patchBytes;
        expect(firstRun).toBeGreaterThanOrEqual(SIZE / 2);

        proxy.onPatchBytes = () => undefined;
        proxy.patchBytes = 0;
        const resumed = await runCli(args, env);
        expect(resumed.exitCode, resumed.stderr).toBe(0);
        expect(resumed.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
        expect(proxy.patchBytes).toBeGreaterThan(0);
        expect(proxy.patchBytes).toBeLessThan(0.6 * SIZE);
        expect(await fixture.server.storedBlobs()).toContain(sha256Of(big));
      } finally {
        await proxy.close();
      }
    },
    allowFor(60_000),
  );
});
