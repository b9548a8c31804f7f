// The push's file list: ignore rules, .git, symlinks inside and outside the directory, POSIX paths.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { walkDirectory } from '../../src/cli/push/walk.js';
import { validateManifest } from '../../src/domain/manifest.js';

let workDir: string;
let site: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'presscloud-walk-'));
  site = path.join(workDir, 'site');
  await mkdir(site);
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function put(relative: string, content = relative): Promise<void> {
  const file = path.join(site, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

async function walk(): Promise<{ paths: string[]; warnings: string[] }> {
  const warnings: string[] = [];
  const files = await walkDirectory(site, { warn: (message) => warnings.push(message) });
  return { paths: files.map((file) => file.path), warnings };
}

describe('walkDirectory', () => {
  it('lists nested files as sorted relative POSIX paths with their sizes', async () => {
    await put('index.html', '<h1>hi</h1>');
    await put('css/site.css');
    await put('img/icons/logo.svg');
    const files = await walkDirectory(site, { warn: () => {} });
    expect(files.map((file) => file.path)).toEqual(['css/site.css', 'img/icons/logo.svg', 'index.html']);
    expect(files.find((file) => file.path === 'index.html')?.size).toBe(11);
  });

  it('skips .git at any depth and honours .presscloudignore in gitignore syntax', async () => {
    await put('index.html');
    await put('.git/config');
    await put('vendor/lib/.git/HEAD');
    await put('vendor/lib/lib.js');
    await put('drafts/post.html');
    await put('notes.tmp');
    await put('keep.tmp');
    await put('blog/drafts/other.html');
    await put('.presscloudignore', 'drafts/\n*.tmp\n!keep.tmp\n');
    const { paths } = await walk();
    expect(paths).toEqual(['index.html', 'keep.tmp', 'vendor/lib/lib.js']);
  });

  it('keeps relative symlinks that stay inside the directory as symlinks and skips, with a warning, the others', async () => {
    await put('real/page.html');
    await writeFile(path.join(workDir, 'secret.txt'), 'outside');
    await mkdir(path.join(workDir, 'outside-dir'));
    await writeFile(path.join(workDir, 'outside-dir', 'x.txt'), 'x');
    await symlink(path.join(site, 'real', 'page.html'), path.join(site, 'alias.html'));
    await symlink('real', path.join(site, 'mirror'));
    await symlink(path.join(workDir, 'secret.txt'), path.join(site, 'secret.txt'));
    await symlink('../outside-dir', path.join(site, 'escape'));
    await symlink('nowhere', path.join(site, 'dangling'));
    const warnings: string[] = [];
    const files = await walkDirectory(site, { warn: (message) => warnings.push(message) });
    // A link is an entry of its own, its target as written (never followed, so no copy of real/ under mirror/).
    expect(files.map((file) => [file.path, file.mode, file.linkTarget?.toString()])).toEqual([
      ['mirror', '120000', 'real'],
      ['real/page.html', undefined, undefined],
    ]);
    // An absolute target is left out even when it points inside: pulled elsewhere, it would not.
    expect(warnings.join('\n')).toMatch(/alias\.html: .*absolute path/);
    expect(warnings.join('\n')).toMatch(/secret\.txt/);
    expect(warnings.join('\n')).toMatch(/escape/);
    expect(warnings.join('\n')).toMatch(/dangling/);
  });

  it('keeps a link back up the tree as a link instead of walking it (no loop)', async () => {
    await put('a/page.html');
    await symlink('..', path.join(site, 'a', 'up'));
    const { paths, warnings } = await walk();
    expect(paths).toEqual(['a/page.html', 'a/up']);
    expect(warnings).toEqual([]);
  });

  it('notes the executable bit, and leaves out a link whose target leaves the tree only as written', async () => {
    await put('run.sh', '#!/bin/sh\n');
    await put('plain.txt');
    const { chmod } = await import('node:fs/promises');
    await chmod(path.join(site, 'run.sh'), 0o744);
    // Resolves inside on this disk, but through the directory's own name: pulled into another name it would leave.
    await symlink('../site/plain.txt', path.join(site, 'roundabout'));
    const warnings: string[] = [];
    const files = await walkDirectory(site, { warn: (message) => warnings.push(message) });
    expect(files.map((file) => [file.path, file.mode])).toEqual([
      ['plain.txt', undefined],
      ['run.sh', '100755'],
    ]);
    expect(warnings).toEqual(['skipping roundabout: symlink to a place outside the directory (its target leads outside the directory)']);
  });

  it('skips names the API would refuse', async () => {
    await put('ok.html');
    await put('back\\slash.html');
    const { paths, warnings } = await walk();
    expect(paths).toEqual(['ok.html']);
    expect(warnings.join('\n')).toMatch(/backslash/);
  });

  it('refuses exactly the names the server refuses: C1 controls, names that are not UTF-8, over-long paths', async () => {
    const candidates = [
      'ok.html',
      'é-accent.html',
      'nbsp\u00a0.html',
      'next\u0085line.html',
      'c1-end\u009f.html',
      'del\u007f.html',
      'tab\tname.html',
      'back\\slash.html',
    ];
    for (const name of candidates) await put(name);
    const long = `${'d'.repeat(250)}/${'e'.repeat(250)}/${'f'.repeat(250)}/${'g'.repeat(250)}`;
    await put(`${long}/fits.txt`);
    await put(`${long}/${'h'.repeat(100)}.txt`);
    // A name whose bytes are not UTF-8 (Latin-1 "café"), in a file and in a directory.
    await writeFile(Buffer.concat([Buffer.from(`${site}/`), Buffer.from('caf\xe9.html', 'latin1')]), 'x');
    await mkdir(Buffer.concat([Buffer.from(`${site}/`), Buffer.from('dir\xff', 'latin1')]));
    await writeFile(Buffer.concat([Buffer.from(`${site}/`), Buffer.from('dir\xff/inner.html', 'latin1')]), 'x');

    const { paths, warnings } = await walk();
    const offered = [...candidates, `${long}/fits.txt`, `${long}/${'h'.repeat(100)}.txt`];
    const serverAccepts = offered.filter((candidate) => acceptedByServer(candidate));
    expect(paths).toEqual([...serverAccepts].sort());
    expect(paths).toContain('nbsp\u00a0.html');
    expect(paths).not.toContain('next\u0085line.html');
    expect(warnings.filter((w) => /the API refuses this path/.test(w))).toHaveLength(offered.length - serverAccepts.length + 2);
    // Named so a user can find them: the bytes that are not UTF-8 escaped as \xNN.
    expect(warnings.join('\n')).toMatch(/"caf\\xe9\.html".*must be valid UTF-8/);
    expect(warnings.join('\n')).toMatch(/"dir\\xff".*must be valid UTF-8/);
  });

  it('rejects a path that is not a directory', async () => {
    await put('file.txt');
    await expect(walkDirectory(path.join(site, 'file.txt'), { warn: () => {} })).rejects.toMatchObject({ exitCode: 2 });
    await expect(walkDirectory(path.join(site, 'none'), { warn: () => {} })).rejects.toMatchObject({ exitCode: 2 });
  });
});

/** Session creation's own verdict on a one-file manifest with this path. */
function acceptedByServer(candidate: string): boolean {
  try {
    validateManifest([{ path: candidate, sha256: 'a'.repeat(64), size: 1 }], { maxFiles: 10, maxBlobSize: 10 });
    return true;
  } catch {
    return false;
  }
}
