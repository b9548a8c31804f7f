// Keeps every write of a pull inside its directory: a manifest path is checked as a string (relative, no `.` or
// `..` segment) and on disk (no symlink and no file on the way, no symlink at the file itself).
import { lstat, mkdir, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { pathProblem } from '../../domain/path-rule.js';

/** The manifest names a path this pull will not write: it would leave the directory, or clash with what is there. */
export class PathRefusedError extends Error {
  constructor(
    readonly relativePath: string,
    reason: string,
  ) {
    super(`refusing to write ${JSON.stringify(relativePath)}: ${reason}`);
    this.name = 'PathRefusedError';
  }
}

/** What a manifest path names on disk now, without following any symlink. */
export type ExistingEntry = { kind: 'absent' } | { kind: 'file'; size: number; mode: number } | { kind: 'symlink'; target: string };

export class PathGuard {
  /** Directories (relative) already checked on disk: true when they exist, false when they do not yet. */
  private readonly inspected = new Map<string, Promise<boolean>>();
  /** Directories (relative) checked and created by prepare(). */
  private readonly prepared = new Map<string, Promise<void>>();

  /** `rootReal` is the pull's directory with its own symlinks resolved (the user chose it; what lies below, the manifest). */
  constructor(readonly rootReal: string) {}

  /** The absolute path of a manifest path; throws PathRefusedError for one that could name a place outside the root. */
  resolve(relativePath: string): string {
    const problem = pathProblem(relativePath);
    if (problem !== null) throw new PathRefusedError(relativePath, `a manifest path ${problem}`);
    const absolute = path.join(this.rootReal, ...relativePath.split('/'));
    const fromRoot = path.relative(this.rootReal, absolute);
    // Unreachable after pathProblem; kept so a change there can never let a path out.
    if (fromRoot === '' || fromRoot.startsWith('..') || path.isAbsolute(fromRoot)) {
      throw new PathRefusedError(relativePath, 'it is not inside the directory');
    }
    return absolute;
  }

  /** What is at the path; refuses a symlink or a non-directory on the way, and anything but a regular file at its end. */
  async inspect(relativePath: string, options: { symlink?: boolean } = {}): Promise<ExistingEntry> {
    const absolute = this.resolve(relativePath);
    for (const directory of parentsOf(relativePath)) {
      if (!(await this.once(this.inspected, directory, () => this.directoryExists(relativePath, directory)))) {
        return { kind: 'absent' };
      }
    }
    const stats = await lstatOrUndefined(absolute);
    if (stats === undefined) return { kind: 'absent' };
    if (stats.isSymbolicLink()) {
      // Only a symlink of the manifest may stand there (it is replaced, never followed).
      if (options.symlink) return { kind: 'symlink', target: await readlink(absolute) };
      throw new PathRefusedError(relativePath, 'it is a symlink in the directory');
    }
    if (!stats.isFile()) throw new PathRefusedError(relativePath, 'something other than a file is there');
    return { kind: 'file', size: stats.size, mode: stats.mode };
  }

  /** Creates the directories on the way that are missing, refusing symlinks and files there; returns the absolute path. */
  async prepare(relativePath: string): Promise<string> {
    const absolute = this.resolve(relativePath);
    for (const directory of parentsOf(relativePath)) {
      await this.once(this.prepared, directory, () => this.ensureDirectory(relativePath, directory));
    }
    return absolute;
  }

  /** Each directory is looked at once per pull, however many files lie below it (and however many ask at once). */
  private once<T>(cache: Map<string, Promise<T>>, directory: string, check: () => Promise<T>): Promise<T> {
    let pending = cache.get(directory);
    if (pending === undefined) {
      pending = check();
      cache.set(directory, pending);
    }
    return pending;
  }

  private async directoryExists(relativePath: string, directory: string): Promise<boolean> {
    const stats = await lstatOrUndefined(path.join(this.rootReal, directory));
    if (stats === undefined) return false;
    refuseUnlessDirectory(relativePath, directory, stats);
    return true;
  }

  private async ensureDirectory(relativePath: string, directory: string): Promise<void> {
    const absolute = path.join(this.rootReal, directory);
    try {
      // Not recursive: each level is created, or found and checked, by its own step.
      await mkdir(absolute);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    refuseUnlessDirectory(relativePath, directory, await lstat(absolute));
  }
}

/** `a/b/c.txt` → `a`, `a/b`: each directory on the way, from the root down. */
function parentsOf(relativePath: string): string[] {
  const segments = relativePath.split('/').slice(0, -1);
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}

function refuseUnlessDirectory(relativePath: string, directory: string, stats: Stats): void {
  if (stats.isSymbolicLink()) throw new PathRefusedError(relativePath, `${directory} is a symlink in the directory`);
  if (!stats.isDirectory()) throw new PathRefusedError(relativePath, `${directory} is not a directory`);
}

async function lstatOrUndefined(absolute: string): Promise<Stats | undefined> {
  try {
    return await lstat(absolute);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
