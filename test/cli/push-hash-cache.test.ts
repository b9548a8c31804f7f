// The push's hash cache: what it trusts, what it refuses to store, and the CLI reusing it between pushes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PressCloudClient } from '../../src/client/client.js';
import { HashCache, RACY_WINDOW_MS, defaultHashCacheDir, hashCacheFile } from '../../src/cli/push/hash-cache.js';
import type { FileStamp } from '../../src/cli/push/hash-cache.js';
import { hashFiles } from '../../src/cli/push/hash.js';
import { walkDirectory } from '../../src/cli/push/walk.js';
import { startServer } from '../support/server.js';
import { runCli } from './run-cli.js';

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');
const SHA_A = sha256('a');
const SHA_B = sha256('b');
/** Long enough after any stamp below that none of them is racy. */
const LATER = Date.parse('2030-01-01T00:00:00Z');
const STAMP: FileStamp = { size: 100, mtimeMs: 1_700_000_000_123.456, ctimeMs: 1_700_000_000_789.012, ino: 4242, dev: 2049 };

let workDir: string;
let cacheDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'presscloud-hash-cache-'));
  cacheDir = path.join(workDir, 'cache');
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Saves what `fill` recorded, and loads it back as the next push would. */
async function roundTrip(root: string, fill: (cache: HashCache) => void): Promise<HashCache> {
  const cache = await HashCache.load(cacheDir, root);
  fill(cache);
  await cache.save();
  return HashCache.load(cacheDir, root);
}

describe('HashCache', () => {
  it('reuses a hash when the stamp is exactly the same, and misses on any changed field', async () => {
    const cache = await roundTrip('/site/exact', (c) => c.record('index.html', STAMP, SHA_A, LATER));
    expect(cache.lookup('index.html', { ...STAMP })).toBe(SHA_A);
    for (const changed of [
      { size: 101 },
      { mtimeMs: STAMP.mtimeMs + 1 },
      { ctimeMs: STAMP.ctimeMs + 0.001 },
      { ino: 4243 },
      { dev: 2050 },
    ]) {
      expect(cache.lookup('index.html', { ...STAMP, ...changed }), JSON.stringify(changed)).toBeUndefined();
    }
    expect(cache.lookup('other.html', STAMP)).toBeUndefined();
    expect(cache.hits).toBe(1);
  });

  it('does not store a file modified (or chmod-ed, utimes-ed) within the racy window of being hashed', async () => {
    const cache = await roundTrip('/site/racy', (c) => {
      c.record('fresh-mtime.html', STAMP, SHA_A, STAMP.ctimeMs + RACY_WINDOW_MS - 1);
      c.record('fresh-ctime.html', { ...STAMP, ctimeMs: LATER - 10 }, SHA_A, LATER);
      c.record('settled.html', STAMP, SHA_B, STAMP.ctimeMs + RACY_WINDOW_MS + 1);
    });
    expect(cache.lookup('fresh-mtime.html', STAMP)).toBeUndefined();
    expect(cache.lookup('fresh-ctime.html', { ...STAMP, ctimeMs: LATER - 10 })).toBeUndefined();
    expect(cache.lookup('settled.html', STAMP)).toBe(SHA_B);
  });

  it('writes back only the files of this push, so deleted files drop out', async () => {
    await roundTrip('/site/prune', (c) => {
      c.record('kept.html', STAMP, SHA_A, LATER);
      c.record('deleted.html', STAMP, SHA_B, LATER);
    });
    const next = await roundTrip('/site/prune', (c) => c.lookup('kept.html', STAMP));
    expect(next.lookup('kept.html', STAMP)).toBe(SHA_A);
    expect(next.lookup('deleted.html', STAMP)).toBeUndefined();
  });

  it('ignores a corrupt cache file or one written for another directory, and rewrites it', async () => {
    const file = hashCacheFile(cacheDir, '/site/corrupt');
    for (const garbage of [
      '{"version":1,"root":"/site/corr',
      '[1,2,3]',
      JSON.stringify({ version: 1, root: '/elsewhere', entries: { 'a.html': [100, 1, 2, 3, 4, SHA_A] } }),
    ]) {
      await mkdir(cacheDir, { recursive: true });
      await writeFile(file, garbage);
      const cache = await HashCache.load(cacheDir, '/site/corrupt');
      expect(cache.lookup('a.html', { size: 100, mtimeMs: 1, ctimeMs: 2, ino: 3, dev: 4 })).toBeUndefined();
    }
    // A malformed entry is dropped, the well-formed ones survive.
    await writeFile(
      file,
      JSON.stringify({
        version: 1,
        root: '/site/corrupt',
        entries: { 'bad.html': [100, 1, 2, 3, 4, 'nope'], 'a.html': [100, 1, 2, 3, 4, SHA_A] },
      }),
    );
    const cache = await HashCache.load(cacheDir, '/site/corrupt');
    expect(cache.lookup('bad.html', { size: 100, mtimeMs: 1, ctimeMs: 2, ino: 3, dev: 4 })).toBeUndefined();
    expect(cache.lookup('a.html', { size: 100, mtimeMs: 1, ctimeMs: 2, ino: 3, dev: 4 })).toBe(SHA_A);
    await cache.save();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
      root: '/site/corrupt',
      entries: { 'a.html': [100, 1, 2, 3, 4, SHA_A] },
    });
  });

  it('lives in PRESSCLOUD_CACHE_DIR, else XDG_CACHE_HOME/presscloud, else ~/.cache/presscloud', () => {
    expect(defaultHashCacheDir({ PRESSCLOUD_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c');
    expect(defaultHashCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/presscloud');
    expect(defaultHashCacheDir({ HOME: '/home/u', XDG_CACHE_HOME: 'relative' })).toMatch(/\.cache\/presscloud$/);
  });

  it('stats each file once: the walk stamps it, and a cached file is then never touched again', async () => {
    const root = path.join(workDir, 'stat-once');
    await mkdir(path.join(root, 'sub'), { recursive: true });
    await writeFile(path.join(root, 'sub', 'page.html'), '<p>once</p>');
    const [walked] = await walkDirectory(root, { warn: () => {} });
    expect(walked.stamp).toMatchObject({ ino: (await stat(walked.absolutePath)).ino, size: 11 });
    const planted = sha256('planted');
    const cache = await roundTrip(await realpath(root), (c) => c.record('sub/page.html', walked.stamp, planted, LATER));
    // Gone after the walk: a second stat (or a read) would fail; the walk's stamp is all hashFiles needs.
    await rm(walked.absolutePath);
    expect((await hashFiles([walked], { concurrency: 1, cache })).map((file) => file.sha256)).toEqual([planted]);
  });

  it('lets hashFiles skip reading a file whose stamp is cached, and hash the others', async () => {
    const root = path.join(workDir, 'through-hashfiles');
    await mkdir(root, { recursive: true });
    const files = await Promise.all(
      ['cached.txt', 'new.txt'].map(async (name) => {
        const absolutePath = path.join(root, name);
        await writeFile(absolutePath, `content of ${name}`);
        const stamp = await stat(absolutePath);
        return { path: name, absolutePath, size: stamp.size, stamp };
      }),
    );
    // A hash no read of the file could produce: getting it back proves the file was not read.
    const planted = sha256('planted');
    const cachedStamp = await stat(files[0].absolutePath);
    const cache = await roundTrip(root, (c) => c.record('cached.txt', cachedStamp, planted, LATER));
    let bytes = 0;
    const hashed = await hashFiles(files, { concurrency: 2, cache, onBytes: (n) => (bytes += n) });
    expect(hashed.map((file) => file.sha256)).toEqual([planted, sha256('content of new.txt')]);
    expect(cache.hits).toBe(1);
    expect(bytes).toBe(files[0].size + files[1].size);
  });
});

describe('presscloud push with the hash cache', () => {
  type Server = Awaited<ReturnType<typeof startServer>>;
  let server: Server;
  let client: PressCloudClient;

  beforeAll(async () => {
    server = await startServer({});
    client = new PressCloudClient({ baseUrl: server.url, token: server.token });
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  interface PushJson {
    manifestId: string;
    uploadedBlobs: number;
  }

  it('writes a cache on a cold push, reuses it warm, still sees a same-size edit, and --no-cache bypasses it', async () => {
    const root = path.join(workDir, 'site');
    const nonce = randomBytes(8).toString('hex');
    const count = 30;
    for (let i = 0; i < count; i++) {
      await mkdir(path.join(root, `dir-${i % 3}`), { recursive: true });
      await writeFile(path.join(root, `dir-${i % 3}`, `page-${i}.html`), `${nonce} page ${i} ${'x'.repeat(i * 50)}`);
    }
    // Files touched within the racy window are not cached: let the fresh ones settle first.
    await sleep(RACY_WINDOW_MS + 200);
    const env = { PRESSCLOUD_CACHE_DIR: cacheDir };
    const push = async (extra: string[] = []) => {
      const run = await runCli(['push', root, '--url', server.url, '--token', server.token, '--json', ...extra], env);
      expect(run.stderr).not.toMatch(/presscloud:|warning/);
      expect(run.exitCode).toBe(0);
      return { summary: JSON.parse(run.stdout) as PushJson, stderr: run.stderr };
    };
    const cacheFile = hashCacheFile(cacheDir, await realpath(root));

    const cold = await push();
    expect(cold.summary.uploadedBlobs).toBe(count);
    expect(cold.stderr).toMatch(`hashed ${count} files (0 from cache)`);
    const written = JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(written.entries)).toHaveLength(count);

    const warm = await push();
    expect(warm.stderr).toMatch(`hashed ${count} files (${count} from cache)`);
    expect(warm.summary).toMatchObject({ manifestId: cold.summary.manifestId, uploadedBlobs: 0 });

    // Same size, new bytes, and an mtime of its own: the stamp differs, so the file is read again.
    const edited = path.join(root, 'dir-1', 'page-7.html');
    const before = await readFile(edited);
    const after = Buffer.from(before.toString('utf8').replace(nonce, nonce.split('').reverse().join('')));
    expect(after.length).toBe(before.length);
    await writeFile(edited, after);
    await utimes(edited, new Date('2024-05-01T12:00:00Z'), new Date('2024-05-01T12:00:00Z'));
    const changed = await push();
    expect(changed.stderr).toMatch(`hashed ${count} files (${count - 1} from cache)`);
    expect(changed.summary.uploadedBlobs).toBe(1);
    const manifest = await client.getManifest(changed.summary.manifestId);
    expect(manifest.files.find((file) => file.path === 'dir-1/page-7.html')?.sha256).toBe(sha256(after));

    // --no-cache neither reads the cache (a planted wrong hash is not used) nor writes it.
    const planted = JSON.parse(await readFile(cacheFile, 'utf8')) as {
      entries: Record<string, [number, number, number, number, number, string]>;
    };
    planted.entries['dir-0/page-0.html'][5] = sha256('planted');
    await writeFile(cacheFile, JSON.stringify(planted));
    const plantedText = await readFile(cacheFile, 'utf8');
    const uncached = await push(['--no-cache']);
    expect(uncached.stderr).toMatch(`hashed ${count} files, `);
    expect(uncached.summary).toMatchObject({ manifestId: changed.summary.manifestId, uploadedBlobs: 0 });
    expect(await readFile(cacheFile, 'utf8')).toBe(plantedText);

    // A cache that cannot be written (its directory would be under a regular file) costs a warning, not the push.
    const blocked = await runCli(['push', root, '--url', server.url, '--token', server.token], {
      PRESSCLOUD_CACHE_DIR: path.join(cacheFile, 'sub'),
    });
    expect(blocked.exitCode).toBe(0);
    expect(blocked.stdout).toBe(`${changed.summary.manifestId}\n`);
    expect(blocked.stderr.match(/warning: could not write the hash cache/g)).toHaveLength(1);
  });
});
