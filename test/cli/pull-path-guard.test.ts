// The pull's path guard on its own, with the hostile paths the server would never let into a manifest
// (`..`, absolute) and with symlinks and files planted in the directory on a real filesystem.
import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/api/types.js';
import { checkedFiles } from '../../src/cli/pull/manifest-files.js';
import { PathGuard, PathRefusedError } from '../../src/cli/pull/path-guard.js';

let base: string;
let root: string;
let outside: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'presscloud-guard-')));
  root = path.join(base, 'pulled');
  outside = path.join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function manifestOf(paths: string[]): Manifest {
  const files = paths.map((file) => ({ path: file, sha256: 'a'.repeat(64), size: 1 }));
  const manifestId = 'b'.repeat(64);
  const previewUrl = `http://${manifestId.slice(0, 32)}.localhost/`;
  return { manifestId, createdAt: new Date(0).toISOString(), fileCount: files.length, totalBytes: files.length, previewUrl, files };
}

describe('PathGuard', () => {
  it.each([
    ['../x', 'a manifest path must not contain a ".." segment'],
    ['a/../../x', 'a manifest path must not contain a ".." segment'],
    ['/abs', 'a manifest path must be relative (no leading "/")'],
    ['/etc/passwd', 'a manifest path must be relative (no leading "/")'],
    ['./x', 'a manifest path must not contain a "." segment'],
    ['a//b', 'a manifest path must not contain an empty segment'],
    ['a\\..\\b', 'a manifest path must not contain a backslash'],
    ['', 'a manifest path must not be empty'],
  ])('refuses %j as a string, before any disk access', async (hostile, reason) => {
    const guard = new PathGuard(root);
    expect(() => guard.resolve(hostile)).toThrow(new PathRefusedError(hostile, reason));
    await expect(guard.prepare(hostile)).rejects.toThrow(PathRefusedError);
    await expect(guard.inspect(hostile)).rejects.toThrow(PathRefusedError);
    expect(await readdir(root)).toEqual([]);
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses a symlinked directory inside DIR, whether it points inside or outside', async () => {
    await mkdir(path.join(root, 'real'));
    await symlink(path.join(root, 'real'), path.join(root, 'inside-link'));
    await symlink(outside, path.join(root, 'outside-link'));
    const guard = new PathGuard(root);
    for (const link of ['inside-link', 'outside-link']) {
      const refusal = `refusing to write "${link}/sub/x.html": ${link} is a symlink in the directory`;
      await expect(guard.inspect(`${link}/sub/x.html`)).rejects.toThrow(refusal);
      await expect(guard.prepare(`${link}/sub/x.html`)).rejects.toThrow(refusal);
    }
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(path.join(root, 'real'))).toEqual([]);
  });

  it('refuses a symlink deeper down and one at the file itself', async () => {
    await mkdir(path.join(root, 'a/b'), { recursive: true });
    await symlink(outside, path.join(root, 'a/b/c'));
    await writeFile(path.join(outside, 'target'), 'secret');
    await symlink(path.join(outside, 'target'), path.join(root, 'a/file.txt'));
    const guard = new PathGuard(root);
    await expect(guard.prepare('a/b/c/d.txt')).rejects.toThrow('a/b/c is a symlink in the directory');
    await expect(guard.inspect('a/file.txt')).rejects.toThrow('refusing to write "a/file.txt": it is a symlink in the directory');
  });

  it('creates the missing directories on the way and reports what already is there', async () => {
    await mkdir(path.join(root, 'a'));
    await writeFile(path.join(root, 'a/present.txt'), 'four');
    await writeFile(path.join(root, 'blocker'), 'a file where a directory should be');
    const guard = new PathGuard(root);
    expect(await guard.inspect('a/present.txt')).toMatchObject({ kind: 'file', size: 4 });
    expect(await guard.inspect('a/new/deep/file.txt')).toEqual({ kind: 'absent' });
    expect(await guard.prepare('a/new/deep/file.txt')).toBe(path.join(root, 'a/new/deep/file.txt'));
    expect(await readdir(path.join(root, 'a/new'))).toEqual(['deep']);
    await expect(guard.prepare('blocker/x.txt')).rejects.toThrow('refusing to write "blocker/x.txt": blocker is not a directory');
    await expect(guard.inspect('a')).rejects.toThrow('something other than a file is there');
  });
});

describe('checkedFiles', () => {
  it('refuses a hostile path anywhere in a manifest, and a file listed as a directory of another', () => {
    const guard = new PathGuard(root);
    expect(() => checkedFiles(manifestOf(['index.html', 'ok/../../escape']), guard)).toThrow(PathRefusedError);
    expect(() => checkedFiles(manifestOf(['docs', 'docs/index.html']), guard)).toThrow(
      'refusing to write "docs/index.html": the manifest also lists "docs" as a file',
    );
    expect(checkedFiles(manifestOf(['a/b.html', 'a/c.html']), guard).map((file) => file.path)).toEqual(['a/b.html', 'a/c.html']);
  });
});
