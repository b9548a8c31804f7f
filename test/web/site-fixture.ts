// A folder to publish from the browser page and from `presscloud push`: about 200 small files in nested
// directories, one of 50 MiB, an empty one, names that test the type table, an HTML file that tries to steal the
// page's token, and what push leaves out (.git/, .presscloudignore and the files it names).
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { sha256Of } from '../support/api.js';

export const BIG_FILE = 'media/big/film.mp4';
export const BIG_FILE_BYTES = 50 << 20;
export const EMPTY_FILE = 'empty.txt';
export const EVIL_FILE = 'evil.html';
/** Where the evil page writes what it could read; test/web checks that its script never ran. */
export const EVIL_UNTOUCHED = 'script did not run';

export interface SiteFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** The files push and the page publish, by path; what they leave out is on disk but not in here. */
export type Site = ReadonlyMap<string, SiteFile>;

const DIRECTORIES = [
  '',
  'assets',
  'assets/css',
  'assets/js',
  'assets/img',
  'blog',
  'blog/2026',
  'blog/2026/11',
  'docs',
  'docs/guide/deep/deeper',
];
const EXTENSIONS = ['.html', '.css', '.js', '.json', '.svg', '.txt', '.md', '.woff2', '.png', ''];

export async function makeSite(root: string): Promise<Site> {
  const site = new Map<string, SiteFile>();
  const write = async (relative: string, bytes: Buffer | string, published = true) => {
    const target = path.join(root, relative);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, bytes);
    const buffer = Buffer.from(bytes);
    if (published) site.set(relative, { path: relative, size: buffer.length, sha256: sha256Of(buffer) });
  };

  for (const [d, directory] of DIRECTORIES.entries()) {
    for (let i = 0; i < 19; i++) {
      const name = `file-${d}-${i}${EXTENSIONS[i % EXTENSIONS.length]}`;
      await write(directory === '' ? name : `${directory}/${name}`, randomBytes(randomInt(1, 24 << 10)));
    }
  }
  // The same bytes under two paths: one blob, two files.
  const shared = randomBytes(3000);
  await write('assets/css/site.css', shared);
  await write('assets/css/copy-of-site.css', shared);
  // Names where a type table could go either way: no extension, a bare extension, a dotfile, double extensions.
  for (const name of [
    'README',
    'json',
    '.bashrc',
    'archive.tar.gz',
    'UPPER.HTML',
    'noext.',
    'with space.txt',
    'ünïcödé.txt',
    'dir.with.dots/file',
  ]) {
    await write(name, randomBytes(100));
  }
  await write(BIG_FILE, randomBytes(BIG_FILE_BYTES));
  await write(EMPTY_FILE, '');
  await write(
    EVIL_FILE,
    `<!doctype html><title>evil</title><p id="out">${EVIL_UNTOUCHED}</p>` +
      "<script>document.getElementById('out').textContent = 'stolen: ' + JSON.stringify(Object.entries(sessionStorage));</script>",
  );

  await write('.presscloudignore', '*.log\nscratch/\n', false);
  await write('debug.log', 'left out by the ignore file', false);
  await write('scratch/notes.txt', 'left out with its directory', false);
  await write('.git/HEAD', 'ref: refs/heads/main\n', false);
  await write('assets/.git/config', '[core]\n', false);
  return site;
}
