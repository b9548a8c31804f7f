// `presscloud push` end to end: the built CLI as a child process against the real server on a real socket,
// directly or through a fault-injecting proxy.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SMALL_BLOB_MAX_BYTES } from '../../src/cli/push/constants.js';
import { requestKind, startFaultProxy } from './fault-proxy.js';
import type { Fault } from './fault-proxy.js';
import { usePushFixture } from './push-fixture.js';
import { runCli } from './run-cli.js';

const env = usePushFixture('presscloud-push-');

interface PushJson {
  manifestId: string;
  uploadSessionId: string;
  fileCount: number;
  blobCount: number;
  uploadedBlobs: number;
  uploadedBytes: number;
  skippedBlobs: number;
  sessionsOpened: number;
  retries: number;
  durationMs: number;
}

/**
 * A site of `count` files in nested folders; the nonce makes its blobs new to the server. `putSized` makes every
 * file larger than the batch threshold, so each travels as a PUT (push-batch.test.ts covers the batches).
 */
async function makeSite(name: string, count: number, options: { duplicates?: boolean; bigFileBytes?: number; putSized?: boolean } = {}) {
  const root = path.join(env.workDir, name);
  const nonce = randomBytes(8).toString('hex');
  const contents = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const relative = `section-${i % 7}/page-${String(i).padStart(4, '0')}.${['html', 'css', 'js', 'txt'][i % 4]}`;
    // Every tenth file repeats another's content, so blobs are fewer than files.
    const seed = options.duplicates && i % 10 === 9 ? i - 1 : i;
    const padding = ((seed * 37) % 3000) + (options.putSized ? SMALL_BLOB_MAX_BYTES : 0);
    contents.set(relative, Buffer.from(`${nonce} file ${seed}\n${'x'.repeat(padding)}`));
  }
  if (options.bigFileBytes) contents.set('media/big.bin', randomBytes(options.bigFileBytes));
  for (const [relative, content] of contents) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
  }
  return { root, contents };
}

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

function pushArgs(root: string, url = env.server.url, extra: string[] = []): string[] {
  return ['push', root, '--url', url, '--token', env.server.token, ...extra];
}

function parseJson(stdout: string): PushJson {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]) as PushJson;
}

async function expectManifestMatches(manifestId: string, contents: Map<string, Buffer>): Promise<void> {
  const manifest = await env.client.getManifest(manifestId);
  expect(manifest.fileCount).toBe(contents.size);
  const expected = [...contents].map(([file, content]) => ({ path: file, sha256: sha256(content), size: content.length }));
  const actual = manifest.files.map(({ path: file, sha256: sha, size }) => ({ path: file, sha256: sha, size }));
  expect(sortByPath(actual)).toEqual(sortByPath(expected));
}

function sortByPath<T extends { path: string }>(files: T[]): T[] {
  return [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
}

describe('presscloud push', () => {
  it('pushes a few hundred files cold, re-pushes nothing, and uploads exactly one blob for one changed file', async () => {
    const { root, contents } = await makeSite('cold', 300, { duplicates: true, bigFileBytes: 3 << 20 });
    const blobCount = new Set([...contents.values()].map(sha256)).size;

    const cold = await runCli(pushArgs(root, env.server.url, ['--json']));
    expect(cold.stderr).not.toMatch(/presscloud:/);
    expect(cold.exitCode).toBe(0);
    const first = parseJson(cold.stdout);
    expect(first).toMatchObject({ fileCount: 301, blobCount, uploadedBlobs: blobCount, skippedBlobs: 0 });
    expect(first.uploadedBytes).toBe(
      [...new Map([...contents.values()].map((c) => [sha256(c), c.length])).values()].reduce((a, b) => a + b, 0),
    );
    await expectManifestMatches(first.manifestId, contents);
    const big = await env.client.getBlob(sha256(contents.get('media/big.bin')!));
    const chunks: Buffer[] = [];
    for await (const chunk of big.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(contents.get('media/big.bin')!)).toBe(true);

    // Without --json, stdout holds the manifest id alone, and nothing is sent again.
    const again = await runCli(pushArgs(root));
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe(`${first.manifestId}\n`);
    const againJson = parseJson((await runCli(pushArgs(root, env.server.url, ['--json']))).stdout);
    expect(againJson).toMatchObject({ manifestId: first.manifestId, uploadedBlobs: 0, uploadedBytes: 0, skippedBlobs: blobCount });

    const changed = Buffer.from(`changed ${randomBytes(8).toString('hex')}`);
    await writeFile(path.join(root, 'section-3/page-0003.txt'), changed);
    contents.set('section-3/page-0003.txt', changed);
    const third = parseJson((await runCli(pushArgs(root, env.server.url, ['--json']))).stdout);
    expect(third).toMatchObject({ uploadedBlobs: 1, uploadedBytes: changed.length, fileCount: 301 });
    expect(third.manifestId).not.toBe(first.manifestId);
    await expectManifestMatches(third.manifestId, contents);
  });

  it('survives dropped connections, stalls, lost responses, 503s and a 429 with Retry-After', async () => {
    const { root, contents } = await makeSite('faults', 40, { putSized: true });
    const plans: Record<string, Record<number, Fault>> = {
      'POST sessions': { 0: { kind: 'status', status: 503, error: 'storage_unavailable' } },
      'PUT blob': {
        0: { kind: 'drop' },
        1: { kind: 'status', status: 503, error: 'storage_unavailable' },
        2: { kind: 'status', status: 429, error: 'rate_limited', retryAfter: '1' },
        3: { kind: 'stall' },
        4: { kind: 'lose-response' },
        5: { kind: 'drop' },
      },
      'POST complete': { 0: { kind: 'drop' }, 1: { kind: 'lose-response' }, 2: { kind: 'stall' } },
    };
    const proxy = await startFaultProxy(env.server.url, ({ method, path: url, index }) => {
      return plans[requestKind(method, url)]?.[index] ?? { kind: 'pass' };
    });
    try {
      const started = Date.now();
      const run = await runCli(pushArgs(root, proxy.url, ['--json', '--stall-timeout', '1', '--concurrency', '4']));
      expect(run.stderr).not.toMatch(/presscloud:/);
      expect(run.exitCode).toBe(0);
      const summary = parseJson(run.stdout);
      expect(summary.retries).toBeGreaterThanOrEqual(10);
      expect(summary.uploadedBlobs).toBe(40);
      await expectManifestMatches(summary.manifestId, contents);
      // The 429 asked for a second's pause, and the stall took the stall timeout to notice.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(run.stderr).toMatch(/retrying upload of .* no progress for 1 s/);
      expect(run.stderr).toMatch(/retrying completion .* no progress for 1 s/);
      const kinds = new Set(proxy.log.map((entry) => entry.fault));
      expect([...kinds].sort()).toEqual(['drop', 'lose-response', 'pass', 'stall', 'status']);
    } finally {
      await proxy.close();
    }
  });

  it('opens a new session when the current one expires mid-push, sending each blob once', async () => {
    const { root, contents } = await makeSite('expiry', 16, { putSized: true });
    // Every blob PUT waits 400 ms in the proxy, so a one-second session expires a few blobs in.
    const proxy = await startFaultProxy(env.server.url, ({ method, path: url }) =>
      requestKind(method, url) === 'PUT blob' ? { kind: 'delay', ms: 400 } : { kind: 'pass' },
    );
    try {
      const run = await runCli(pushArgs(root, proxy.url, ['--json', '--session-ttl', '1', '--concurrency', '2']));
      expect(run.stderr).not.toMatch(/presscloud:/);
      expect(run.exitCode).toBe(0);
      const summary = parseJson(run.stdout);
      expect(summary.sessionsOpened).toBeGreaterThanOrEqual(2);
      expect(summary.uploadedBlobs).toBe(16);
      expect(run.stderr).toMatch(/session expired; opened a new one/);
      await expectManifestMatches(summary.manifestId, contents);
      const stored = proxy.log.filter((entry) => requestKind(entry.method, entry.path) === 'PUT blob' && entry.upstreamStatus === 200);
      const perBlob = new Map<string, number>();
      for (const entry of stored) perBlob.set(entry.path.split('/').pop()!, (perBlob.get(entry.path.split('/').pop()!) ?? 0) + 1);
      expect(perBlob.size).toBe(16);
      expect(Math.max(...perBlob.values())).toBe(1);
      expect(proxy.log.some((entry) => entry.upstreamStatus === 410)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('lists what would upload with --dry-run, and aborts the session it opened to ask', async () => {
    const { root, contents } = await makeSite('dry', 5);
    const dry = await runCli(pushArgs(root, env.server.url, ['--dry-run']));
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout.trim().split('\n').sort()).toEqual([...contents.keys()].sort());
    expect(dry.stderr).toMatch(/dry run: would upload 5 of 5 blobs .* the session was aborted/);
    const report = JSON.parse((await runCli(pushArgs(root, env.server.url, ['--dry-run', '--json']))).stdout) as {
      uploadSessionId: string;
      missingBlobs: number;
    };
    expect(report.missingBlobs).toBe(5);
    expect((await env.client.getUploadSession(report.uploadSessionId)).state).toBe('aborted');
    const real = parseJson((await runCli(pushArgs(root, env.server.url, ['--json']))).stdout);
    expect(real.uploadedBlobs).toBe(5);
  });

  it('exits 2 with one line on stderr when the token is refused', async () => {
    const { root } = await makeSite('badtoken', 3);
    const run = await runCli(['push', root, '--url', env.server.url, '--token', 'pc_not_a_real_token']);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^presscloud: the server did not accept the token \(401 \w+: .+\)$/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('takes --url and --token from the environment, and exits 2 on usage mistakes', async () => {
    const { root } = await makeSite('env', 2);
    const fromEnv = await runCli(['push', root], { PRESSCLOUD_URL: env.server.url, PRESSCLOUD_TOKEN: env.server.token });
    expect(fromEnv.exitCode).toBe(0);
    expect(fromEnv.stdout).toMatch(/^\S+\n$/);

    const noUrl = await runCli(['push', root, '--token', env.server.token]);
    expect(noUrl.exitCode).toBe(2);
    expect(noUrl.stderr).toMatch(/--url/);
    const badConcurrency = await runCli(pushArgs(root, env.server.url, ['--concurrency', 'many']));
    expect(badConcurrency.exitCode).toBe(2);
    const noDir = await runCli(pushArgs(path.join(env.workDir, 'missing-dir')));
    expect(noDir.exitCode).toBe(2);
    expect(noDir.stderr.trim()).toMatch(/^presscloud: .*no such directory$/);
  });

  it('fails with exit 1 and one line when the server cannot be reached', async () => {
    const { root } = await makeSite('unreachable', 2);
    const closed = await startFaultProxy(env.server.url, () => ({ kind: 'pass' }));
    const url = closed.url;
    await closed.close();
    const run = await runCli(pushArgs(root, url, ['--retries', '2']));
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^presscloud: cannot reach .* \(gave up after 2 attempts\)$/);
  });
});
