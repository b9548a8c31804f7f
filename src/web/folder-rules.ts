// Which picked files get published: the rules of `presscloud push` (src/cli/push/walk.ts) applied to paths the
// browser gave, so a folder gives the same manifest from the page as from the CLI; names are judged by the
// server's own path rule and reported in the CLI's words. Symlinks never get here: the browser hides them.
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import { ALWAYS_SKIPPED_DIRECTORIES, IGNORE_FILE, refusedPath } from '../domain/push-exclusions.js';
import type { PickedFile } from './folder.js';

export interface SkippedFile {
  /** As `presscloud push` names it: quoted as JSON, so a backslash or a control character shows. */
  readonly path: string;
  /** One sentence, the CLI's: why this file is left out. */
  readonly reason: string;
}

export interface Selection {
  /** Sorted by path, as the CLI sorts them. */
  readonly files: PickedFile[];
  /** Files left out for a reason the person should see (ignored files are left out silently, as by the CLI). */
  readonly skipped: SkippedFile[];
}

export async function selectFiles(picked: readonly PickedFile[]): Promise<Selection> {
  const rules = ignore();
  const ignoreFile = picked.find((entry) => entry.path === IGNORE_FILE);
  if (ignoreFile) rules.add(await ignoreFile.file.text());

  const files: PickedFile[] = [];
  const skipped: SkippedFile[] = [];
  for (const entry of picked) {
    if (entry === ignoreFile || isLeftOut(entry.path, rules)) continue;
    const refused = refusedPath(entry.path);
    if (refused) skipped.push({ path: refused.path, reason: refused.detail });
    else files.push(entry);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, skipped };
}

/** The CLI never enters a skipped or ignored directory, so a file under one is left out whatever else matches it. */
function isLeftOut(path: string, rules: Ignore): boolean {
  const segments = path.split('/');
  for (let depth = 1; depth < segments.length; depth++) {
    if (ALWAYS_SKIPPED_DIRECTORIES.has(segments[depth - 1])) return true;
    if (rules.ignores(`${segments.slice(0, depth).join('/')}/`)) return true;
  }
  return rules.ignores(path);
}
