// The build step of a push on its own: a directory becomes a LocalManifest with no server anywhere.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildLocalManifest } from '../../src/cli/push/local-manifest.js';
import { ProgressDisplay } from '../../src/cli/transfer-common/progress.js';

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'presscloud-build-'));
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('buildLocalManifest', () => {
  it('walks, hashes and types the files into sorted entries and distinct blobs, without a server', async () => {
    const site = path.join(workDir, 'site');
    await mkdir(path.join(site, 'css'), { recursive: true });
    await writeFile(path.join(site, 'index.html'), '<h1>same</h1>');
    await writeFile(path.join(site, 'copy.html'), '<h1>same</h1>');
    await writeFile(path.join(site, 'css', 'site.css'), 'body{}');
    await writeFile(path.join(site, 'notes.unknown-ext'), 'x');
    const lines: string[] = [];
    const manifest = await buildLocalManifest({
      directory: site,
      hashCacheDir: undefined,
      progress: new ProgressDisplay({ write: (text: string) => lines.push(text) }, { live: false }),
    });

    expect(manifest.files).toEqual([
      { path: 'copy.html', sha256: sha256('<h1>same</h1>'), size: 13, mime: 'text/html' },
      { path: 'css/site.css', sha256: sha256('body{}'), size: 6, mime: 'text/css' },
      { path: 'index.html', sha256: sha256('<h1>same</h1>'), size: 13, mime: 'text/html' },
      { path: 'notes.unknown-ext', sha256: sha256('x'), size: 1 },
    ]);
    expect(manifest.totalBytes).toBe(33);
    expect([...manifest.blobs.values()]).toEqual([
      { sha256: sha256('<h1>same</h1>'), size: 13, path: 'copy.html', absolutePath: path.join(site, 'copy.html') },
      { sha256: sha256('body{}'), size: 6, path: 'css/site.css', absolutePath: path.join(site, 'css', 'site.css') },
      { sha256: sha256('x'), size: 1, path: 'notes.unknown-ext', absolutePath: path.join(site, 'notes.unknown-ext') },
    ]);
    expect(lines.join('')).toMatch(/^hashing 4 files .*\nhashed 4 files, 33 B in /s);
  });
});
