// The manifest a pull writes, checked before anything touches the disk: the server's answer is not trusted to
// name only safe paths, well-formed digests, or a file list that can exist as a tree.
import type { Manifest } from '../../api/types.js';
import { CliError } from '../cli-error.js';
import type { PathGuard } from './path-guard.js';
import { PathRefusedError } from './path-guard.js';

export interface PullFile {
  path: string;
  /** Lowercase. */
  sha256: string;
  size: number;
  /** "100755" an executable file, "120000" a symlink (its blob is the target); absent for a plain file. */
  mode?: '100755' | '120000';
}

/** One distinct blob of the manifest with every path it is written to. */
export interface PullBlob {
  sha256: string;
  size: number;
  paths: string[];
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The manifest's files, in its order; throws PathRefusedError or CliError naming the first bad entry. */
export function checkedFiles(manifest: Manifest, guard: PathGuard): PullFile[] {
  const files: PullFile[] = [];
  const paths = new Set<string>();
  const sizes = new Map<string, number>();
  for (const entry of manifest.files) {
    guard.resolve(entry.path);
    const sha256 = typeof entry.sha256 === 'string' ? entry.sha256.toLowerCase() : '';
    if (!SHA256.test(sha256)) throw serverFault(`${JSON.stringify(entry.path)} has no valid sha256`);
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw serverFault(`${JSON.stringify(entry.path)} has no valid size`);
    if (paths.has(entry.path)) throw serverFault(`${JSON.stringify(entry.path)} is listed twice`);
    if ((sizes.get(sha256) ?? entry.size) !== entry.size) throw serverFault(`blob ${sha256} is listed with two sizes`);
    paths.add(entry.path);
    sizes.set(sha256, entry.size);
    const mode = entry.mode as unknown;
    if (mode !== undefined && mode !== '100644' && mode !== '100755' && mode !== '120000') {
      throw serverFault(`${JSON.stringify(entry.path)} has an unknown mode ${JSON.stringify(mode)}`);
    }
    files.push({ path: entry.path, sha256, size: entry.size, ...(mode === '100755' || mode === '120000' ? { mode } : {}) });
  }
  refuseFileDirectoryClashes(paths);
  return files;
}

/** Groups files by content, so each blob is downloaded once however many paths name it. */
export function blobsOf(files: readonly PullFile[]): PullBlob[] {
  const blobs = new Map<string, PullBlob>();
  for (const file of files) {
    const blob = blobs.get(file.sha256);
    if (blob) blob.paths.push(file.path);
    else blobs.set(file.sha256, { sha256: file.sha256, size: file.size, paths: [file.path] });
  }
  return [...blobs.values()];
}

/** `a` and `a/b` cannot both be files (nor `a` a symlink): the tree could not be written whole. */
function refuseFileDirectoryClashes(paths: ReadonlySet<string>): void {
  for (const file of paths) {
    for (let slash = file.indexOf('/'); slash !== -1; slash = file.indexOf('/', slash + 1)) {
      const directory = file.slice(0, slash);
      if (paths.has(directory)) throw new PathRefusedError(file, `the manifest also lists ${JSON.stringify(directory)} as a file`);
    }
  }
}

function serverFault(what: string): CliError {
  return new CliError(`the server's manifest is not valid: ${what}`);
}
