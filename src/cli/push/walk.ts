// Lists the files of a directory to push: relative POSIX paths, `.git` and `.presscloudignore` rules left out,
// symlinks followed only while they stay inside the directory.
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import { pathProblem } from '../../domain/path-rule.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import { ALWAYS_SKIPPED_DIRECTORIES, IGNORE_FILE } from './constants.js';

export interface WalkedFile {
  /** Relative POSIX path, as it goes into the manifest. */
  path: string;
  /** Where to read it (through the symlink, if any). */
  absolutePath: string;
  size: number;
}

export interface WalkOptions {
  warn: (message: string) => void;
}

export async function walkDirectory(root: string, options: WalkOptions): Promise<WalkedFile[]> {
  const rootReal = await realDirectory(root);
  const rules = await loadIgnoreRules(rootReal);
  const files: WalkedFile[] = [];
  await visitDirectory(rootReal, '', [rootReal], { rootReal, rules, warn: options.warn, files });
  // Sorted for a stable manifest order, and so the output of two runs compares line by line.
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface WalkContext {
  rootReal: string;
  rules: Ignore;
  warn: (message: string) => void;
  files: WalkedFile[];
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

/** `ancestors` are the real paths of the directories being visited, to refuse a symlink loop. */
async function visitDirectory(directory: string, relative: string, ancestors: string[], context: WalkContext): Promise<void> {
  // Names as bytes: a name that is not UTF-8 would otherwise arrive with U+FFFD in it, naming no file at all.
  const entries = await readdir(directory, { withFileTypes: true, encoding: 'buffer' });
  for (const entry of entries) {
    const name = entry.name.toString('utf8');
    const entryRelative = relative === '' ? name : `${relative}/${name}`;
    if (!isUtf8(entry.name)) {
      context.warn(`skipping ${JSON.stringify(entryRelative)}: the API refuses this path: it must be valid UTF-8`);
      continue;
    }
    const entryPath = path.join(directory, name);
    if (relative === '' && name === IGNORE_FILE) continue;

    let stats: Stats;
    let readPath = entryPath;
    if (entry.isSymbolicLink()) {
      // Checked before resolving, so an ignored dangling link raises no warning.
      if (isIgnored(context.rules, entryRelative, false)) continue;
      const target = await insideTarget(entryPath, context.rootReal);
      if (target === undefined) {
        context.warn(`skipping ${entryRelative}: symlink to a place outside the directory (or broken)`);
        continue;
      }
      stats = await stat(target);
      readPath = target;
    } else if (entry.isDirectory() || entry.isFile()) {
      stats = await stat(entryPath);
    } else {
      context.warn(`skipping ${entryRelative}: not a regular file`);
      continue;
    }

    if (stats.isDirectory()) {
      if (ALWAYS_SKIPPED_DIRECTORIES.has(name) || isIgnored(context.rules, entryRelative, true)) continue;
      if (ancestors.includes(readPath)) {
        context.warn(`skipping ${entryRelative}: symlink loop`);
        continue;
      }
      await visitDirectory(readPath, entryRelative, [...ancestors, readPath], context);
    } else if (stats.isFile()) {
      if (isIgnored(context.rules, entryRelative, false)) continue;
      // The server's own rule, so the walk refuses exactly what session creation would.
      const problem = pathProblem(entryRelative);
      if (problem) {
        context.warn(`skipping ${JSON.stringify(entryRelative)}: the API refuses this path: it ${problem}`);
        continue;
      }
      context.files.push({ path: entryRelative, absolutePath: readPath, size: stats.size });
    } else {
      context.warn(`skipping ${entryRelative}: not a regular file`);
    }
  }
}

function isIgnored(rules: Ignore, relative: string, asDirectory: boolean): boolean {
  // gitignore's `dir/` patterns match only directories, which `ignore` recognises by the trailing slash.
  return rules.ignores(asDirectory ? `${relative}/` : relative);
}

/** The symlink's real target when it lies inside the root, else undefined (outside, or dangling). */
async function insideTarget(linkPath: string, rootReal: string): Promise<string | undefined> {
  let target: string;
  try {
    target = await realpath(linkPath);
  } catch {
    return undefined;
  }
  const fromRoot = path.relative(rootReal, target);
  // The root itself counts as inside: the loop check then refuses it with a clearer warning.
  const inside = fromRoot !== '..' && !fromRoot.startsWith(`..${path.sep}`) && !path.isAbsolute(fromRoot);
  return inside ? target : undefined;
}
