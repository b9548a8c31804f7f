// Manifest rules: validating a session's file list, its distinct blobs, and the manifest id.
import { createHash } from 'node:crypto';
import { isSha256 } from './blob-key.js';
import { AppError } from './errors.js';
import { mimeForPath } from './mime.js';
import { pathProblem } from './path-rule.js';
import type { FileEntry, SessionBlob } from './types.js';

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
    entries.push(mime === undefined ? { path, sha256, size } : { path, sha256, size, mime });
  });

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
 * The manifest id: SHA-256 (hex) of the canonical file list, a JSON array of [path, sha256, size,
 * mime or null] sorted by the UTF-8 bytes of path. The same files always give the same id.
 */
export function manifestIdOf(files: readonly FileEntry[]): string {
  const canonical = [...files].sort((a, b) => comparePaths(a.path, b.path)).map((f) => [f.path, f.sha256, f.size, f.mime ?? null]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function invalid(message: string): AppError {
  return new AppError('invalid_request', `${message}.`);
}
