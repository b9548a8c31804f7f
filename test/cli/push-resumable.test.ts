// `presscloud push` sends big blobs through tus and keeps the upload's URL beside the hash cache: killed
// (SIGKILL) halfway through a 300 MiB file, the next push resumes from the server's offset and sends less
// than 60% of the file again, as counted by a proxy in front of the server. Stopped by Ctrl-C once the server
// acknowledged part of the file, the push leaves its session open, and the next one resumes the upload too.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHUNK_SIZE } from '../../src/client/upload/resumable.js';
import { downloadBlob, sha256Of } from '../support/api.js';
import { startFaultProxy } from './fault-proxy.js';
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

  it(
    'resumes, on the next push, an upload stopped by Ctrl-C after the server acknowledged part of it',
    async () => {
      const size = 40 * MiB;
      const site = path.join(fixture.workDir, 'interrupted');
      await mkdir(site, { recursive: true });
      const big = randomBytes(size);
      await writeFile(path.join(site, 'clip.bin'), big);
      const cacheDir = await mkdtemp(path.join(tmpdir(), 'presscloud-resumable-cache-'));
      cacheDirs.push(cacheDir);
      const env = { PRESSCLOUD_CACHE_DIR: cacheDir };
      // During the first push, its first PATCH (16 MiB) goes through and the second is held, so the push is surely
      // mid-upload at the signal. Both pushes go through the same URL: the upload is kept per server URL.
      let firstPush = true;
      const proxy = await startFaultProxy(fixture.server.url, ({ method, index }) =>
        firstPush && method === 'PATCH' && index > 0 ? { kind: 'stall' } : { kind: 'pass' },
      );
      const args = ['push', site, '--url', proxy.url, '--token', fixture.server.token, '--resumable-threshold', String(MiB)];
      try {
        const push = spawnCli(args, env);
        await waitFor(() => proxy.log.some((entry) => entry.method === 'PATCH' && entry.index === 1));
        // The upload kept beside the hash cache, asked straight from the server: the first PATCH is acknowledged.
        const kept = JSON.parse(
          await readFile(path.join(cacheDir, 'uploads', (await readdir(path.join(cacheDir, 'uploads')))[0]), 'utf8'),
        ) as {
          url: string;
          uploadToken: string;
        };
        const upload = new URL(new URL(kept.url).pathname, fixture.server.url);
        const sessionId = upload.pathname.split('/')[3];
        const head = await fetch(upload, {
          method: 'HEAD',
          headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${fixture.server.token}`, 'x-upload-token': kept.uploadToken },
        });
        expect(head.headers.get('upload-offset')).toBe(String(DEFAULT_CHUNK_SIZE));

        push.signal('SIGINT');
        const run = await push.done;
        expect(run).toMatchObject({ exitCode: 130, signal: null, stdout: '' });
        expect(run.stderr.match(/^presscloud:/gm)).toHaveLength(1);
        expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
          'presscloud: interrupted; the upload session stays open with the big files sent so far: pushing again resumes them',
        );
        expect((await fixture.client.getUploadSession(sessionId)).state).toBe('open');

        firstPush = false;
        const firstPushRequests = proxy.log.length;
        const resumed = await runCli(args, env);
        expect(resumed.exitCode, resumed.stderr).toBe(0);
        const manifestId = resumed.stdout.trim();
        expect(manifestId).toMatch(/^[0-9a-f]{64}$/);
        const secondPush = proxy.log.slice(firstPushRequests);
        const patched = secondPush.filter((entry) => entry.method === 'PATCH');
        const sent = patched.reduce((sum, entry) => sum + (entry.contentLength ?? 0), 0);
        // Only what the server lacked went again: the resumed upload starts at the acknowledged offset.
        expect(sent).toBe(size - DEFAULT_CHUNK_SIZE);
        expect(secondPush.some((entry) => entry.method === 'POST' && entry.path.endsWith('/uploads'))).toBe(false);
        expect((await fixture.client.getManifest(manifestId)).files.map((file) => file.path)).toEqual(['clip.bin']);
      } finally {
        await proxy.close();
      }
      expect(await downloadBlob(fixture.server.url, fixture.server.token, sha256Of(big))).toEqual({
        status: 200,
        sha256: sha256Of(big),
        size,
      });
    },
    allowFor(30_000),
  );
});

/** Polls until `probe` holds (a wait for a state, not a timed assertion). */
async function waitFor(probe: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await probe())) await sleep(20);
}
