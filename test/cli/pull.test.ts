// `presscloud pull` end to end: trees pushed by the real CLI, pulled by the real CLI as a child process against
// the real server, directly or through the fault-injecting proxy; killed mid-pull and resumed; refusing symlinks.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';
import { sha256Of as sha256Hex } from '../support/api.js';
import { requestKind, startFaultProxy } from './fault-proxy.js';
import type { Fault } from './fault-proxy.js';
import { runCli, spawnCli } from './run-cli.js';

type Server = Awaited<ReturnType<typeof startServer>>;

let server: Server;
let workDir: string;

beforeAll(async () => {
  server = await startServer({});
  workDir = await mkdtemp(path.join(tmpdir(), 'presscloud-pull-'));
});

afterAll(async () => {
  await server?.stop();
  await rm(workDir, { recursive: true, force: true });
});

interface PullJson {
  manifestId: string;
  directory: string;
  fileCount: number;
  blobCount: number;
  totalBytes: number;
  downloadedBlobs: number;
  downloadedBytes: number;
  writtenFiles: number;
  skippedFiles: number;
  retries: number;
  durationMs: number;
}

/** Nested folders, an empty file, two paths of the same bytes, a few MiB of random bytes; new to the server each time. */
function siteContents(count: number, bigFileBytes = 0): Map<string, Buffer> {
  const nonce = randomBytes(8).toString('hex');
  const contents = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    contents.set(`s${i % 3}/deep/er/page-${i}.html`, Buffer.from(`${nonce} page ${i}\n${'y'.repeat((i * 53) % 4000)}`));
  }
  contents.set('empty.txt', Buffer.alloc(0));
  contents.set('copy-a.css', Buffer.from(`${nonce} shared`));
  contents.set('assets/copy-b.css', Buffer.from(`${nonce} shared`));
  if (bigFileBytes > 0) contents.set('media/big.bin', randomBytes(bigFileBytes));
  return contents;
}

async function writeTree(root: string, contents: Map<string, Buffer>): Promise<void> {
  for (const [relative, content] of contents) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
  }
}

/** Pushes the tree with the real CLI and returns its manifest id. */
async function pushed(name: string, contents: Map<string, Buffer>): Promise<string> {
  const root = path.join(workDir, `${name}-source`);
  await writeTree(root, contents);
  const run = await runCli(['push', root, '--url', server.url, '--token', server.token]);
  expect(run.exitCode).toBe(0);
  return run.stdout.trim();
}

/**
 * Every entry under `root`: a file's sha256 (comparing digests, not megabytes, keeps a failure's diff readable),
 * or `symlink` / `other` for anything else a pull should not leave.
 */
async function readTree(root: string): Promise<Map<string, string>> {
  const tree = new Map<string, string>();
  const visit = async (directory: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      const relative = `${prefix}${entry.name}`;
      const absolute = path.join(directory, entry.name);
      if (entry.isDirectory()) await visit(absolute, `${relative}/`);
      else tree.set(relative, entry.isFile() ? sha256Hex(await readFile(absolute)) : entry.isSymbolicLink() ? 'symlink' : 'other');
    }
  };
  await visit(root, '');
  return tree;
}

/** The tree `contents` describes, as readTree reads one. */
function digests(contents: Map<string, Buffer>): Map<string, string> {
  return new Map([...contents].map(([file, content]) => [file, sha256Hex(content)]));
}

function pullArgs(manifestId: string, directory: string, url = server.url, extra: string[] = []): string[] {
  return ['pull', manifestId, directory, '--url', url, '--token', server.token, ...extra];
}

function parseJson(stdout: string): PullJson {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]) as PullJson;
}

describe('presscloud pull', () => {
  it('round-trips a pushed tree byte for byte, then finds nothing to do', async () => {
    const contents = siteContents(40, 3 << 20);
    const manifestId = await pushed('roundtrip', contents);
    const target = path.join(workDir, 'roundtrip-pulled', 'not-yet-there');

    const run = await runCli(pullArgs(manifestId, target, server.url, ['--json']));
    expect(run.stderr).not.toMatch(/presscloud:/);
    expect(run.exitCode).toBe(0);
    const summary = parseJson(run.stdout);
    const blobCount = new Set([...contents.values()].map((content) => content.toString('base64'))).size;
    expect(summary).toMatchObject({ manifestId, fileCount: contents.size, blobCount, writtenFiles: contents.size, skippedFiles: 0 });
    expect(summary.downloadedBlobs).toBe(blobCount);
    expect(await readTree(target)).toEqual(digests(contents));

    const big = await stat(path.join(target, 'media/big.bin'));
    const again = await runCli(pullArgs(manifestId, target));
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(new RegExp(`pulled ${contents.size} files into .* \\(0 written, ${contents.size} already there\\)`));
    // Kept, not rewritten: same inode, same modification time.
    const bigAgain = await stat(path.join(target, 'media/big.bin'));
    expect([bigAgain.ino, bigAgain.mtimeMs]).toEqual([big.ino, big.mtimeMs]);
  });

  it('keeps the files already right, replaces wrong ones, and leaves files outside the manifest alone', async () => {
    const contents = siteContents(12);
    const manifestId = await pushed('resume', contents);
    const target = path.join(workDir, 'resume-pulled');
    const paths = [...contents.keys()];
    // Three right, one with the right size but other bytes, one too short; and a file the manifest does not name.
    await writeTree(target, new Map(paths.slice(0, 3).map((file) => [file, contents.get(file)!])));
    const sameSize = paths[3];
    await writeFile(path.join(target, sameSize), Buffer.alloc(contents.get(sameSize)!.length, 0x21));
    await writeFile(path.join(target, paths[4]), 'short');
    await writeFile(path.join(target, 'mine.txt'), 'not in the manifest');

    const summary = parseJson((await runCli(pullArgs(manifestId, target, server.url, ['--json']))).stdout);
    expect(summary).toMatchObject({ skippedFiles: 3, writtenFiles: contents.size - 3 });
    expect(await readTree(target)).toEqual(digests(new Map([...contents, ['mine.txt', Buffer.from('not in the manifest')]])));
  });

  it('resumes after being killed mid-pull, and sweeps the temp files the killed run left', async () => {
    const contents = siteContents(10);
    // One blob per file here, so the files done before the kill are as many as the downloads done.
    contents.delete('assets/copy-b.css');
    const manifestId = await pushed('killed', contents);
    const target = path.join(workDir, 'killed-pulled');
    // The first three downloads go through; every later one hangs, so the kill lands with files half-written.
    const proxy = await startFaultProxy(server.url, ({ method, path: url, index }) =>
      requestKind(method, url) === 'GET download' && index >= 3 ? { kind: 'stall' } : { kind: 'pass' },
    );
    try {
      const pull = spawnCli(pullArgs(manifestId, target, proxy.url, ['--concurrency', '2', '--stall-timeout', '600']));
      await waitFor(async () => (await readTree(target).catch(() => new Map<string, string>())).size >= 5);
      pull.signal('SIGKILL');
      expect((await pull.done).signal).toBe('SIGKILL');
    } finally {
      await proxy.close();
    }
    const left = await readTree(target);
    // Three files done, and the two stalled downloads' temp files.
    expect([...left.keys()].filter((name) => contents.has(name))).toHaveLength(3);
    expect([...left.keys()].filter((name) => /\.presscloud-pull-\d+-[0-9a-f]{8}\.tmp$/.test(name))).toHaveLength(2);

    const resumed = parseJson((await runCli(pullArgs(manifestId, target, server.url, ['--json']))).stdout);
    expect(resumed).toMatchObject({ skippedFiles: 3, writtenFiles: contents.size - 3 });
    expect(await readTree(target)).toEqual(digests(contents));
  });

  it('stops on Ctrl-C with one line and exit 130, removing its temp files and keeping the files done', async () => {
    const contents = siteContents(6);
    contents.delete('assets/copy-b.css');
    const manifestId = await pushed('interrupted', contents);
    const target = path.join(workDir, 'interrupted-pulled');
    const proxy = await startFaultProxy(server.url, ({ method, path: url, index }) =>
      requestKind(method, url) === 'GET download' && index >= 2 ? { kind: 'stall' } : { kind: 'pass' },
    );
    try {
      const pull = spawnCli(pullArgs(manifestId, target, proxy.url, ['--concurrency', '2', '--stall-timeout', '600']));
      // Two files done and two temp files of the hanging downloads.
      await waitFor(async () => (await readTree(target).catch(() => new Map<string, string>())).size >= 4);
      pull.signal('SIGINT');
      const run = await pull.done;
      expect(run).toMatchObject({ exitCode: 130, signal: null, stdout: '' });
      expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
        'presscloud: interrupted; the files written so far are kept, and the next pull resumes from them',
      );
    } finally {
      await proxy.close();
    }
    const left = await readTree(target);
    expect([...left.keys()].every((name) => contents.has(name))).toBe(true);
    expect(left.size).toBe(2);
  });

  it('retries downloads cut mid-body, dropped, stalled or answered 503, and writes only verified bytes', async () => {
    const contents = siteContents(8, 1 << 20);
    const manifestId = await pushed('faults', contents);
    const target = path.join(workDir, 'faults-pulled');
    // The first request for each of these blobs meets its fault; every later one passes.
    const firstTry = new Map<string, Fault>([
      [sha256Hex(contents.get('media/big.bin')!), { kind: 'truncate-response', bytes: 300_000 }],
      [sha256Hex(contents.get('s1/deep/er/page-7.html')!), { kind: 'truncate-response', bytes: 100 }],
      [sha256Hex(contents.get('copy-a.css')!), { kind: 'drop' }],
      [sha256Hex(contents.get('empty.txt')!), { kind: 'status', status: 503, error: 'storage_unavailable' }],
      [sha256Hex(contents.get('s2/deep/er/page-5.html')!), { kind: 'stall' }],
    ]);
    const proxy = await startFaultProxy(server.url, ({ method, path: url }) => {
      if (requestKind(method, url) !== 'GET download') return { kind: 'pass' };
      const sha = url.split('/').pop()!;
      const fault = firstTry.get(sha) ?? { kind: 'pass' };
      firstTry.delete(sha);
      return fault;
    });
    try {
      const run = await runCli(pullArgs(manifestId, target, proxy.url, ['--json', '--stall-timeout', '1', '--concurrency', '3']));
      expect(run.stderr).not.toMatch(/presscloud:/);
      expect(run.exitCode).toBe(0);
      expect(parseJson(run.stdout).retries).toBe(5);
      expect(run.stderr).toMatch(/retrying download of .*: the download broke off/);
      expect(run.stderr).toMatch(/retrying download of .*: no progress for 1 s/);
    } finally {
      await proxy.close();
    }
    expect(await readTree(target)).toEqual(digests(contents));
  });

  it('refuses a manifest path through a symlink in DIR before writing anything, inside or out', async () => {
    const contents = siteContents(4);
    const manifestId = await pushed('symlink', contents);
    const outside = path.join(workDir, 'symlink-outside');
    await mkdir(outside);
    const target = path.join(workDir, 'symlink-pulled');
    await mkdir(target);
    await symlink(outside, path.join(target, 's1'));

    const run = await runCli(pullArgs(manifestId, target));
    expect(run.exitCode).toBe(1);
    const refusal = 'presscloud: refusing to write "s1/deep/er/page-1.html": s1 is a symlink in the directory';
    expect(run.stderr.trim().split('\n').at(-1)).toBe(refusal);
    expect(await readdir(outside)).toEqual([]);
    expect(await readTree(target)).toEqual(new Map([['s1', 'symlink']]));

    // A symlink at a file's own path is refused too, and what it points to is left as it was.
    await rm(path.join(target, 's1'));
    const victim = path.join(outside, 'victim.txt');
    await writeFile(victim, 'untouched');
    await symlink(victim, path.join(target, 'empty.txt'));
    const second = await runCli(pullArgs(manifestId, target));
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/refusing to write "empty.txt": it is a symlink in the directory/);
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    expect((await lstat(path.join(target, 'empty.txt'))).isSymbolicLink()).toBe(true);
  });

  it('exits 2 for a malformed or unknown manifest id, a refused token, or a DIR that is a file; 1 when unreachable', async () => {
    const manifestId = await pushed('usage', siteContents(1));
    const target = path.join(workDir, 'usage-pulled');
    const malformed = await runCli(pullArgs('not-an-id', target));
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr.trim()).toBe('presscloud: not-an-id is not a manifest id (64 hex digits)');

    const unknown = await runCli(pullArgs('0'.repeat(64), target));
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.trim()).toBe(`presscloud: no manifest ${'0'.repeat(64)} for this token`);

    const badToken = await runCli(['pull', manifestId, target, '--url', server.url, '--token', 'pct_not_a_real_token']);
    expect(badToken.exitCode).toBe(2);
    expect(badToken.stderr.trim()).toMatch(/^presscloud: the server did not accept the token \(401 /);

    const uploadOnly = await server.tokenFor('test', ['upload']);
    const forbidden = await runCli(['pull', manifestId, target, '--url', server.url, '--token', uploadOnly]);
    expect(forbidden.exitCode).toBe(2);
    expect(forbidden.stderr.trim()).toMatch(/^presscloud: the token is not allowed to do this \(403 forbidden: /);

    const file = path.join(workDir, 'usage-file');
    await writeFile(file, 'x');
    const notDir = await runCli(pullArgs(manifestId, file));
    expect(notDir.exitCode).toBe(2);
    expect(notDir.stderr.trim()).toBe(`presscloud: ${file} is not a directory`);

    const closed = await startFaultProxy(server.url, () => ({ kind: 'pass' }));
    await closed.close();
    const unreachable = await runCli(pullArgs(manifestId, target, closed.url, ['--retries', '2']));
    expect(unreachable.exitCode).toBe(1);
    expect(unreachable.stderr.trim().split('\n').at(-1)).toMatch(/^presscloud: cannot reach .* \(gave up after 2 attempts\)$/);
  });
});

/** Polls until `condition` holds; the test's own timeout bounds the wait. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await sleep(20);
}
