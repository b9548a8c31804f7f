// A warm push of an unchanged tree: the CLI computes the manifest id itself and asks the server whether it holds
// it (HEAD), opening no session and sending no file list; the output stays that of a full push. Requests are
// counted by a proxy in front of the real server.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RACY_WINDOW_MS } from '../../src/cli/push/hash-cache.js';
import { startServer } from '../support/server.js';
import { requestKind, startFaultProxy } from './fault-proxy.js';
import type { FaultProxy } from './fault-proxy.js';
import { runCli } from './run-cli.js';

type Server = Awaited<ReturnType<typeof startServer>>;

let server: Server;
let workDir: string;

beforeAll(async () => {
  server = await startServer({});
  workDir = await mkdtemp(path.join(tmpdir(), 'presscloud-push-warm-'));
});

afterAll(async () => {
  await server?.stop();
  await rm(workDir, { recursive: true, force: true });
});

/** A tree whose files the hash cache will keep: it waits until their ctime is outside the racy window. */
async function settledTree(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(workDir, name);
  let newest = 0;
  for (const [relative, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
    newest = Math.max(newest, (await stat(path.join(root, relative))).ctimeMs);
  }
  while (Date.now() <= newest + RACY_WINDOW_MS) await sleep(50);
  return root;
}

async function throughProxy<T>(work: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(server.url, () => ({ kind: 'pass' }));
  try {
    return await work(proxy);
  } finally {
    await proxy.close();
  }
}

const push = (root: string, url: string, token = server.token, extra: string[] = ['--json']) =>
  runCli(['push', root, '--url', url, '--token', token, ...extra]);

describe('warm push of an unchanged tree', () => {
  it('asks for the manifest with one HEAD and opens no session, printing what a full push prints', async () => {
    const nonce = randomBytes(6).toString('hex');
    const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`d${i % 4}/f${i}.html`, `${nonce} ${i}`]));
    const root = await settledTree('unchanged', { ...files, 'copy.html': `${nonce} 0` });

    const cold = await push(root, server.url);
    expect(cold.exitCode).toBe(0);
    const first = JSON.parse(cold.stdout) as Record<string, unknown>;
    expect(first.sessionsOpened).toBe(1);

    const { run, log } = await throughProxy(async (proxy) => ({ run: await push(root, proxy.url), log: proxy.log }));
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/hashed 31 files \(31 from cache\)/);
    expect(run.stderr).toMatch(/nothing to upload: the server already holds this manifest of 31 files/);
    const warm = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(warm).sort()).toEqual(Object.keys(first).sort());
    expect(warm).toMatchObject({
      manifestId: first.manifestId,
      uploadSessionId: null,
      fileCount: 31,
      blobCount: 30,
      totalBytes: first.totalBytes,
      uploadedBlobs: 0,
      uploadedBytes: 0,
      skippedBlobs: 30,
      sessionsOpened: 0,
      retries: 0,
    });
    // No session, no file list: besides the check of --url and --token that every push starts with, the only
    // question asked is about this manifest, and a HEAD asks it.
    expect(log.filter((entry) => requestKind(entry.method, entry.path) === 'POST sessions')).toEqual([]);
    // --json then reads the manifest once more, for its previewUrl.
    expect(log.map((entry) => `${entry.method} ${entry.path}`)).toEqual([
      'GET /v1/access?scope=upload',
      `HEAD /v1/manifests/${first.manifestId as string}`,
      `GET /v1/manifests/${first.manifestId as string}`,
    ]);

    const plain = await push(root, server.url, server.token, []);
    expect(plain.stdout).toBe(`${first.manifestId as string}\n`);
  });

  it('takes the long way when the tenant does not hold the manifest, or the token cannot read', async () => {
    const root = await settledTree('elsewhere', { 'index.html': `elsewhere ${randomBytes(6).toString('hex')}` });
    const cold = JSON.parse((await push(root, server.url)).stdout) as { manifestId: string };

    // Same tree, same cache, another tenant: the HEAD answers 404, and a session uploads what that tenant lacks.
    const otherTenant = await server.tokenFor(`warm-${randomBytes(4).toString('hex')}`);
    const other = await throughProxy(async (proxy) => ({ run: await push(root, proxy.url, otherTenant), log: proxy.log }));
    expect(other.run.exitCode).toBe(0);
    expect(JSON.parse(other.run.stdout)).toMatchObject({ manifestId: cold.manifestId, sessionsOpened: 1, uploadedBlobs: 1 });
    expect(other.log.map((entry) => requestKind(entry.method, entry.path))).toContain('POST sessions');

    // A token with only the upload scope may not ask (403): it pushes as it always did.
    const uploadOnly = await server.tokenFor('test', ['upload']);
    const run = await push(root, server.url, uploadOnly);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ manifestId: cold.manifestId, sessionsOpened: 1, uploadedBlobs: 0 });
  });

  it('computes the id the README documents: SHA-256 of the JSON list of [path, sha256, size, mime|null] in UTF-8 byte order', async () => {
    // U+FF5E sorts after U+1F600 in UTF-16 code units but before it in UTF-8 bytes; the quote and the accent
    // are written as JSON writes them.
    const files = { '\u{1F600}.txt': 'emoji', '\uFF5E.txt': 'tilde', 'a"b/é.html': 'quoted', 'z.unknownext': 'no mime' };
    const root = await settledTree('canonical', files);
    const summary = JSON.parse((await push(root, server.url)).stdout) as { manifestId: string };
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const canonical =
      '[' +
      [
        `["a\\"b/é.html","${sha('quoted')}",6,"text/html"]`,
        `["z.unknownext","${sha('no mime')}",7,null]`,
        `["\uFF5E.txt","${sha('tilde')}",${Buffer.byteLength('tilde')},"text/plain"]`,
        `["\u{1F600}.txt","${sha('emoji')}",5,"text/plain"]`,
      ].join(',') +
      ']';
    expect(summary.manifestId).toBe(sha(canonical));
  });
});
