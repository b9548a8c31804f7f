// Manifest rules: validating a session's file list, its distinct blobs, and the manifest id.
import { createHash } from 'node:crypto';
import { isSha256 } from './blob-key.js';
import { AppError } from './errors.js';
import { mimeForPath } from './mime.js';
import { pathProblem } from './path-rule.js';
import { FILE_MODES, type FileEntry, type FileMode, type SessionBlob } from './types.js';

export interface ManifestLimits {
  readonly maxFiles: number;
  readonly maxBlobSize: number;
}

export interface ValidatedManifest {
  readonly files: FileEntry[];
  readonly blobs: SessionBlob[];
  /** Each distinct blob counted once. */
  readonly totalBytes: number;
}

export { MAX_PATH_BYTES } from './path-rule.js';
export const MAX_MIME_LENGTH = 255;
/** The longest symlink target a manifest may carry (Linux's PATH_MAX, counting the terminating byte). */
export const MAX_SYMLINK_TARGET_BYTES = 4095;
/** The mode of a regular, non-executable file: the default, never stored (an entry without `mode` is one). */
export const PLAIN_MODE = '100644';
/** What a declared mime must look like: type/subtype and optional parameters (the OpenAPI document states it too). */
export const MIME_SHAPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;

/** Validates and normalises a create-session body's `files`; throws invalid_request naming the first bad entry. */
export function validateManifest(files: unknown, limits: ManifestLimits): ValidatedManifest {
  if (!Array.isArray(files)) throw invalid('files must be an array');
  if (files.length === 0) throw invalid('files must list at least one file');
  if (files.length > limits.maxFiles) {
    throw invalid(`files lists ${files.length} entries; the limit is ${limits.maxFiles}`);
  }
  const entries: FileEntry[] = [];
  const seenPaths = new Set<string>();
  const blobsBySha = new Map<string, { size: number; declaredMime: string | undefined; firstPath: string }>();
  let totalBytes = 0;

  files.forEach((raw: unknown, index) => {
    const where = `files[${index}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`${where} must be an object`);
    const entry = raw as Record<string, unknown>;
    const problem = pathProblem(entry.path);
    if (problem) throw invalid(`${where}.path ${problem}`);
    const path = entry.path as string;
    if (seenPaths.has(path)) throw invalid(`${where}.path "${path}" appears more than once`);
    seenPaths.add(path);

    if (typeof entry.sha256 !== 'string' || !isSha256(entry.sha256)) throw invalid(`${where}.sha256 must be 64 hexadecimal digits`);
    const sha256 = entry.sha256.toLowerCase();

    const size = entry.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size must be a non-negative integer`);
    if (size > limits.maxBlobSize) throw invalid(`${where}.size ${size} is over the maximum blob size of ${limits.maxBlobSize} bytes`);

    let mime: string | undefined;
    if (entry.mime !== undefined) {
      if (typeof entry.mime !== 'string' || entry.mime.length > MAX_MIME_LENGTH || !MIME_SHAPE.test(entry.mime)) {
        throw invalid(`${where}.mime must be a media type such as "text/html"`);
      }
      mime = entry.mime;
    }

    let mode: FileMode | undefined;
    if (entry.mode !== undefined && entry.mode !== PLAIN_MODE) {
      if (typeof entry.mode !== 'string' || !(FILE_MODES as readonly string[]).includes(entry.mode)) {
        throw invalid(`${where}.mode must be "100644" (a file), "100755" (an executable file) or "120000" (a symlink)`);
      }
      mode = entry.mode as FileMode;
      if (mode === '120000' && (size === 0 || size > MAX_SYMLINK_TARGET_BYTES)) {
        throw invalid(`${where}.size of a symlink (its target's length) must be 1 to ${MAX_SYMLINK_TARGET_BYTES} bytes`);
      }
    }

    const known = blobsBySha.get(sha256);
    if (known && known.size !== size) {
      throw invalid(`${where}.size ${size} differs from the size ${known.size} given for the same sha256 at "${known.firstPath}"`);
    }
    if (!known) {
      blobsBySha.set(sha256, { size, declaredMime: mime, firstPath: path });
      totalBytes += size;
    } else if (known.declaredMime === undefined && mime !== undefined) {
      known.declaredMime = mime;
    }
    entries.push({ path, sha256, size, ...(mime === undefined ? {} : { mime }), ...(mode === undefined ? {} : { mode }) });
  });
  refuseEntriesUnderSymlinks(entries);

  const blobs: SessionBlob[] = [...blobsBySha].map(([sha256, b]) => ({
    sha256,
    size: b.size,
    mime: b.declaredMime ?? mimeForPath(b.firstPath),
  }));
  return { files: entries, blobs, totalBytes };
}

/** Byte order of UTF-8, so any language can reproduce the canonical list. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The manifest id: SHA-256 (hex) of the canonical file list, sorted by the UTF-8 bytes of path. The same files
 * always give the same id.
 * - Version 1, when every file is plain (no mode, or "100644"): a JSON array of [path, sha256, size, mime or null].
 *   Every manifest made before modes existed has this form, so its id is unchanged.
 * - Version 2, when any file has another mode: a JSON array starting with the number 2, then one
 *   [path, sha256, size, mime or null, mode] per file, mode written out ("100644" for a plain file).
 * docs/API.md states the same.
 */
export function manifestIdOf(files: readonly IdentifiedFile[]): string {
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
  const withModes = sorted.some((f) => f.mode !== undefined && f.mode !== PLAIN_MODE);
  const canonical = withModes
    ? [2, ...sorted.map((f) => [f.path, f.sha256, f.size, f.mime ?? null, f.mode ?? PLAIN_MODE])]
    : sorted.map((f) => [f.path, f.sha256, f.size, f.mime ?? null]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** What the id covers of a file: a FileEntry, or a create-session entry (whose mode may be an explicit "100644"). */
export type IdentifiedFile = Pick<FileEntry, 'path' | 'sha256' | 'size' | 'mime'> & { readonly mode?: string };

/** A symlink stands where a directory would have to be for `link/file`: no tree holds both, so no manifest may. */
function refuseEntriesUnderSymlinks(entries: readonly FileEntry[]): void {
  const links = new Set(entries.filter((entry) => entry.mode === '120000').map((entry) => entry.path));
  if (links.size === 0) return;
  entries.forEach((entry, index) => {
    for (let slash = entry.path.indexOf('/'); slash !== -1; slash = entry.path.indexOf('/', slash + 1)) {
      const above = entry.path.slice(0, slash);
      if (links.has(above)) throw invalid(`files[${index}].path "${entry.path}" lies under "${above}", which is a symlink`);
    }
  });
}

function invalid(message: string): AppError {
  return new AppError('invalid_request', `${message}.`);
}
