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
import { SKIP_REASONS, escapedName, type SkipReason, type SkippedFile } from './skipped.js';

export interface WalkedFile {
  /** Relative POSIX path, as it goes into the manifest. */
  path: string;
  /** Where to read it (through the symlink, if any). */
  absolutePath: string;
  size: number;
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
  await visitDirectory(rootReal, '', [rootReal], { rootReal, rules, skip, files });
  // Sorted for a stable manifest order, and so the output of two runs compares line by line.
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface WalkContext {
  rootReal: string;
  rules: Ignore;
  skip: (relative: string, reason: SkipReason, detail?: string) => void;
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
      const escaped = `"${relative === '' ? '' : `${relative}/`}${escapedName(entry.name)}"`;
      context.skip(escaped, 'refused', 'the API refuses this path: it must be valid UTF-8 (other bytes shown as \\xNN)');
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
      if (target === 'outside' || target === 'broken') {
        context.skip(entryRelative, target);
        continue;
      }
      stats = await stat(target);
      readPath = target;
    } else if (entry.isDirectory() || entry.isFile()) {
      stats = await stat(entryPath);
    } else {
      context.skip(entryRelative, 'special');
      continue;
    }

    if (stats.isDirectory()) {
      if (ALWAYS_SKIPPED_DIRECTORIES.has(name) || isIgnored(context.rules, entryRelative, true)) continue;
      if (ancestors.includes(readPath)) {
        context.skip(entryRelative, 'loop');
        continue;
      }
      await visitDirectory(readPath, entryRelative, [...ancestors, readPath], context);
    } else if (stats.isFile()) {
      if (isIgnored(context.rules, entryRelative, false)) continue;
      // The server's own rule, so the walk refuses exactly what session creation would.
      const problem = pathProblem(entryRelative);
      if (problem) {
        context.skip(JSON.stringify(entryRelative), 'refused', `the API refuses this path: it ${problem}`);
        continue;
      }
      context.files.push({ path: entryRelative, absolutePath: readPath, size: stats.size });
    } else {
      context.skip(entryRelative, 'special');
    }
  }
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
