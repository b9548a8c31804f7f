// `presscloud push` facing a user's mistakes and second thoughts, with the built CLI as a child process: the URL
// and token checked before hashing, hints for a wrong --url, a file changed mid-push, names the server refuses,
// and Ctrl-C while hashing and while uploading.
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { mkdir, readFile, realpath, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RACY_WINDOW_MS, hashCacheFile } from '../../src/cli/push/hash-cache.js';
import { requestKind, startFaultProxy } from './fault-proxy.js';
import { usePushFixture } from './push-fixture.js';
import { runCli, spawnCli } from './run-cli.js';

const env = usePushFixture('presscloud-push-checks-');

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');

/** `count` small files with content new to the server. */
async function makeSite(name: string, count: number): Promise<string> {
  const root = path.join(env.workDir, name);
  await mkdir(root, { recursive: true });
  const nonce = randomBytes(8).toString('hex');
  for (let i = 0; i < count; i++) await writeFile(path.join(root, `page-${String(i).padStart(2, '0')}.html`), `${nonce} page ${i}`);
  return root;
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

describe('push checks the URL and token first', () => {
  it('refuses a wrong token after one request, before hashing anything', async () => {
    const root = await makeSite('wrong-token', 3);
    const proxy = await startFaultProxy(env.server.url, () => ({ kind: 'pass' }));
    try {
      const run = await runCli(['push', root, '--url', proxy.url, '--token', 'pct_not_a_real_token_at_all']);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).not.toMatch(/hashing|hashed/);
      expect(lastLine(run.stderr)).toMatch(/^presscloud: the server did not accept the token \(401 invalid_token: .+\)$/);
      expect(proxy.log).toHaveLength(1);
      expect(proxy.log[0].method).toBe('GET');
    } finally {
      await proxy.close();
    }
  });

  it('hints at the server root for --url …/v1, and at http:// for host:port', async () => {
    const root = await makeSite('wrong-url', 1);
    const withV1 = await runCli(['push', root, '--url', `${env.server.url}/v1`, '--token', env.server.token]);
    expect(withV1.exitCode).toBe(2);
    expect(withV1.stderr).not.toMatch(/hashing/);
    expect(lastLine(withV1.stderr)).toBe(
      `presscloud: no PressCloud API at ${env.server.url}/v1/ (404 not_found); --url is the server's root, without /v1: try ${env.server.url}/`,
    );
    const hostPort = env.server.url.replace('http://', '');
    for (const bare of [hostPort, hostPort.replace('127.0.0.1', 'localhost')]) {
      const run = await runCli(['push', root, '--url', bare, '--token', env.server.token]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toBe(`presscloud: --url must be an http:// or https:// URL, not ${bare} (did you mean http://${bare}?)\n`);
    }
  });
});

describe('push and the files it reads', () => {
  it('reports a file whose size changed after hashing, without retrying it', async () => {
    const root = await makeSite('changing', 4);
    const changing = path.join(root, 'page-02.html');
    // The file grows once hashing is over: when the session is being created.
    const proxy = await startFaultProxy(env.server.url, ({ method, path: url }) => {
      if (requestKind(method, url) === 'POST sessions') appendFileSync(changing, ' and more');
      return { kind: 'pass' };
    });
    try {
      const run = await runCli(['push', root, '--url', proxy.url, '--token', env.server.token, '--concurrency', '1']);
      expect(run.exitCode).toBe(1);
      expect(lastLine(run.stderr)).toBe('presscloud: page-02.html changed while it was being pushed; push again');
      expect(run.stderr).not.toMatch(/retrying upload of page-02\.html/);
    } finally {
      await proxy.close();
    }
  });

  it('leaves out, with a warning, a name the server would refuse, and pushes the rest', async () => {
    const root = await makeSite('c1-name', 2);
    await writeFile(path.join(root, 'next\u0085line.html'), 'C1 control in the name');
    const run = await runCli(['push', root, '--url', env.server.url, '--token', env.server.token, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /warning: skipping "next\u0085line\.html": the API refuses this path: it must not contain control characters/,
    );
    const { manifestId } = JSON.parse(run.stdout) as { manifestId: string };
    expect((await env.client.getManifest(manifestId)).files.map((file) => file.path)).toEqual(['page-00.html', 'page-01.html']);
  });
});

describe('Ctrl-C', () => {
  it('while uploading: one line, the session aborted, exit 130', async () => {
    const root = await makeSite('interrupt-upload', 3);
    // Every blob upload (a PUT or a batch) hangs, so the push is surely uploading when the signal comes.
    const uploads = new Set(['PUT blob', 'POST batch']);
    const proxy = await startFaultProxy(env.server.url, ({ method, path: url }) =>
      uploads.has(requestKind(method, url)) ? { kind: 'stall' } : { kind: 'pass' },
    );
    try {
      const push = spawnCli(['push', root, '--url', proxy.url, '--token', env.server.token]);
      const put = await waitFor(() => proxy.log.find((entry) => uploads.has(requestKind(entry.method, entry.path))));
      push.signal('SIGINT');
      const run = await push.done;
      expect(run).toMatchObject({ exitCode: 130, signal: null, stdout: '' });
      expect(run.stderr.match(/^presscloud:/gm)).toHaveLength(1);
      expect(lastLine(run.stderr)).toBe(
        'presscloud: interrupted; the upload session was aborted (blobs already sent stay for the next push)',
      );
      // The progress line was finished before the last word.
      expect(run.stderr).toMatch(/\nuploaded 0 blobs, .*\npresscloud: interrupted/);
      const uploadSessionId = put.path.split('/')[3];
      expect((await env.client.getUploadSession(uploadSessionId)).state).toBe('aborted');
    } finally {
      await proxy.close();
    }
  });

  it('while hashing: one line, and the hashes computed so far kept in the cache', async () => {
    const root = await makeSite('interrupt-hash', 15);
    // Sparse: 8 GiB of zeros cost no disk, and hashing them takes long enough to be interrupted.
    const big = path.join(root, 'zz-big.bin');
    await writeFile(big, '');
    await truncate(big, 8 * 1024 ** 3);
    // Files touched within the racy window are not cached: let the fresh ones settle first.
    await sleep(RACY_WINDOW_MS + 200);
    const cacheDir = path.join(env.workDir, 'interrupt-hash-cache');

    const push = spawnCli(['push', root, '--url', env.server.url, '--token', env.server.token], { PRESSCLOUD_CACHE_DIR: cacheDir });
    // Signalled once the big file is 64 MiB in: the 15 small files, started alongside it, are long done.
    await waitFor(() => readOffset(push.pid, big).then((offset) => offset !== undefined && offset >= 64 * 1024 ** 2));
    push.signal('SIGINT');
    const run = await push.done;
    expect(run).toMatchObject({ exitCode: 130, signal: null, stdout: '' });
    expect(run.stderr.match(/^presscloud:/gm)).toHaveLength(1);
    expect(lastLine(run.stderr)).toBe('presscloud: interrupted while hashing; the hashes computed so far are kept for the next push');
    expect(run.stderr).toMatch(/\nhashed 15 files \(0 from cache\), .*\npresscloud: interrupted/);

    const cache = JSON.parse(await readFile(hashCacheFile(cacheDir, await realpath(root)), 'utf8')) as {
      entries: Record<string, [number, number, number, number, number, string]>;
    };
    const names = Object.keys(cache.entries).sort();
    expect(names).toEqual(Array.from({ length: 15 }, (_, i) => `page-${String(i).padStart(2, '0')}.html`));
    for (const name of names) expect(cache.entries[name][5]).toBe(sha256(await readFile(path.join(root, name))));
  });
});

/** Polls until `probe` gives a truthy value (a wait for a state, not a timed assertion). */
async function waitFor<T>(probe: () => T | Promise<T>): Promise<NonNullable<T>> {
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    await sleep(20);
  }
}

/** How far process `pid` has read into `file`, from /proc; undefined while it does not have it open. */
async function readOffset(pid: number, file: string): Promise<number | undefined> {
  const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    if ((await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) !== file) continue;
    const info = await fs.readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
    const pos = /^pos:\s+(\d+)/m.exec(info)?.[1];
    if (pos !== undefined) return Number(pos);
  }
  return undefined;
}
