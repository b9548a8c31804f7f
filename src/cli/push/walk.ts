// Lists the files of a directory to push: relative POSIX paths, `.git` and `.presscloudignore` rules left out, the
// executable bit noted, and symlinks kept as symlinks (never followed) while they stay inside the directory. Each
// file is stat'ed once, here (the hash cache reuses that stat), and the directory calls run in parallel, a bounded
// number at a time.
import { lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import { MAX_SYMLINK_TARGET_BYTES } from '../../domain/manifest.js';
import { refusedPath } from '../../domain/push-exclusions.js';
import { symlinkTargetProblem } from '../../domain/symlink-target.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import { ALWAYS_SKIPPED_DIRECTORIES, IGNORE_FILE } from './constants.js';
import type { FileStamp } from './hash-cache.js';
import { SKIP_REASONS, escapedName, type SkipReason, type SkippedFile } from './skipped.js';

/** Filesystem calls (readdir, stat, realpath) of one walk in flight at once: enough to keep a disk's queue full. */
const WALK_CONCURRENCY = 32;

export interface WalkedFile {
  /** Relative POSIX path, as it goes into the manifest. */
  path: string;
  /** Where it is on disk (for a symlink, the link itself). */
  absolutePath: string;
  size: number;
  /** The file's stat, taken once by the walk: what the hash cache compares (a symlink's lstat, never cached). */
  stamp: FileStamp;
  /** "100755" for a file with any execute bit, "120000" for a symlink; absent for a plain file. */
  mode?: '100755' | '120000';
  /** A symlink's target as written: its blob's bytes. */
  linkTarget?: Buffer;
}

export interface WalkOptions {
  warn: (message: string) => void;
  /** Each file left out, with its reason (the warning says the same in words). */
  onSkip?: (file: SkippedFile) => void;
}

export async function walkDirectory(root: string, options: WalkOptions): Promise<WalkedFile[]> {
  const rootReal = await realDirectory(root);
  const rules = await loadIgnoreRules(rootReal);
  const files: WalkedFile[] = [];
  const skip = (relative: string, reason: SkipReason, detail = SKIP_REASONS[reason]) => {
    options.warn(`skipping ${relative}: ${detail}`);
    options.onSkip?.({ path: relative, reason, detail });
  };
  await visitDirectory(rootReal, '', { rootReal, rules, skip, files, limit: limiter(WALK_CONCURRENCY) });
  // Sorted for a stable manifest order, and so the output of two runs compares line by line.
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return withoutEscapingLinks(files, skip);
}

/**
 * The links whose target, read as written, would leave the tree where pull recreates it (the rule pull applies), left
 * out: a target that resolves inside only through the directory's own name (`../dir/a`) is one.
 */
function withoutEscapingLinks(files: WalkedFile[], skip: (relative: string, reason: SkipReason, detail?: string) => void): WalkedFile[] {
  const links = new Set(files.filter((file) => file.mode === '120000').map((file) => file.path));
  if (links.size === 0) return files;
  return files.filter((file) => {
    if (file.mode !== '120000' || file.linkTarget === undefined) return true;
    const problem = symlinkTargetProblem(file.path, file.linkTarget.toString('utf8'), links);
    if (problem === null) return true;
    skip(file.path, 'outside', `${SKIP_REASONS.outside} (${problem})`);
    return false;
  });
}

interface WalkContext {
  rootReal: string;
  rules: Ignore;
  skip: (relative: string, reason: SkipReason, detail?: string) => void;
  files: WalkedFile[];
  /** Runs a filesystem call when fewer than WALK_CONCURRENCY are in flight. */
  limit: <T>(call: () => Promise<T>) => Promise<T>;
}

async function realDirectory(root: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(root);
  } catch {
    throw new CliError(`${root}: no such directory`, EXIT_USAGE);
  }
  if (!(await stat(real)).isDirectory()) throw new CliError(`${root} is not a directory`, EXIT_USAGE);
  return real;
}

async function loadIgnoreRules(rootReal: string): Promise<Ignore> {
  const rules = ignore();
  try {
    rules.add(await readFile(path.join(rootReal, IGNORE_FILE), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return rules;
}

async function visitDirectory(directory: string, relative: string, context: WalkContext): Promise<void> {
  // Names as bytes: a name that is not UTF-8 would otherwise arrive with U+FFFD in it, naming no file at all.
  const entries = await context.limit(() => readdir(directory, { withFileTypes: true, encoding: 'buffer' }));
  await Promise.all(entries.map((entry) => visitEntry(entry, directory, relative, context)));
}

async function visitEntry(entry: Dirent<Buffer>, directory: string, relative: string, context: WalkContext) {
  const name = entry.name.toString('utf8');
  const entryRelative = relative === '' ? name : `${relative}/${name}`;
  if (!isUtf8(entry.name)) {
    const escaped = `"${relative === '' ? '' : `${relative}/`}${escapedName(entry.name)}"`;
    context.skip(escaped, 'refused', 'the API refuses this path: it must be valid UTF-8 (other bytes shown as \\xNN)');
    return;
  }
  const entryPath = path.join(directory, name);
  if (relative === '' && name === IGNORE_FILE) return;

  // A plain directory needs no stat: the directory entry already says what it is.
  let stats: Stats | 'directory';
  if (entry.isSymbolicLink()) {
    // Checked before resolving, so an ignored dangling link raises no warning.
    if (isIgnored(context.rules, entryRelative, false)) return;
    await visitSymlink(entryPath, entryRelative, context);
    return;
  } else if (entry.isDirectory()) {
    stats = 'directory';
  } else if (entry.isFile()) {
    if (isIgnored(context.rules, entryRelative, false)) return;
    stats = await context.limit(() => stat(entryPath));
  } else {
    context.skip(entryRelative, 'special');
    return;
  }

  if (stats === 'directory' || stats.isDirectory()) {
    if (ALWAYS_SKIPPED_DIRECTORIES.has(name) || isIgnored(context.rules, entryRelative, true)) return;
    // Only real directories are entered (symlinks are never followed), so the walk cannot loop.
    await visitDirectory(entryPath, entryRelative, context);
  } else if (stats.isFile()) {
    if (isIgnored(context.rules, entryRelative, false)) return;
    // The server's own rule, so the walk refuses exactly what session creation would.
    const refused = refusedPath(entryRelative);
    if (refused) {
      context.skip(refused.path, 'refused', refused.detail);
      return;
    }
    const mode = (stats.mode & 0o111) === 0 ? {} : { mode: '100755' as const };
    context.files.push({ path: entryRelative, absolutePath: entryPath, size: stats.size, stamp: stats, ...mode });
  } else {
    context.skip(entryRelative, 'special');
  }
}

/**
 * A symlink becomes an entry of its own (its blob the target as written, as git keeps it) when its target exists
 * and lies inside the directory; it is never followed, so a link to a directory inside is a link, not a copy.
 */
async function visitSymlink(linkPath: string, relative: string, context: WalkContext): Promise<void> {
  const target = await context.limit(() => insideTarget(linkPath, context.rootReal));
  if (target === 'outside' || target === 'broken') {
    context.skip(relative, target);
    return;
  }
  // An absolute target or one that leaves the tree as written is left out by withoutEscapingLinks, pull's own rule.
  const text = await context.limit(() => readlink(linkPath, { encoding: 'buffer' }));
  const refused = refusedPath(relative);
  if (refused) {
    context.skip(refused.path, 'refused', refused.detail);
    return;
  }
  if (text.length > MAX_SYMLINK_TARGET_BYTES) {
    context.skip(relative, 'refused', `the API refuses this symlink: its target is over ${MAX_SYMLINK_TARGET_BYTES} bytes`);
    return;
  }
  const stamp = await context.limit(() => lstat(linkPath));
  context.files.push({ path: relative, absolutePath: linkPath, size: text.length, stamp, mode: '120000', linkTarget: text });
}

/** At most `slots` calls in flight; the others wait in order. */
function limiter(slots: number): <T>(call: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (call) => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await call();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

function isIgnored(rules: Ignore, relative: string, asDirectory: boolean): boolean {
  // gitignore's `dir/` patterns match only directories, which `ignore` recognises by the trailing slash.
  return rules.ignores(asDirectory ? `${relative}/` : relative);
}

/** The symlink's real target when it lies inside the root; else whether it leads outside or nowhere. */
async function insideTarget(linkPath: string, rootReal: string): Promise<string | 'outside' | 'broken'> {
  let target: string;
  try {
    target = await realpath(linkPath);
  } catch (err) {
    // A loop of links (ELOOP) resolves to nothing either.
    if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes((err as NodeJS.ErrnoException).code ?? '')) return 'broken';
    throw err;
  }
  const fromRoot = path.relative(rootReal, target);
  // The root itself counts as inside: the loop check then refuses it with a clearer warning.
  const inside = fromRoot !== '..' && !fromRoot.startsWith(`..${path.sep}`) && !path.isAbsolute(fromRoot);
  return inside ? target : 'outside';
}
