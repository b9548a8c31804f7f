// Inspection of an fs store's data directory (blob files and upload temporaries), for tests that check what
// the server left on disk; the store itself is built by stores.ts.
import fs from 'node:fs/promises';
import path from 'node:path';
import { sha256Of } from './api.js';
import type { TestServer } from './server.js';

export interface StoredFile {
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * Digests of stored blob files already computed, by file path, with the size and mtime they were computed for.
 * Not the CLI's push HashCache: this one only spares a test from re-reading an unchanged data directory.
 */
export type StoredDigestMemo = Map<string, { size: number; mtimeMs: number; sha256: string }>;

/**
 * Every file under <dataDir>/blobs, hashed; a correct store has name === sha256 for each. With a cache,
 * a file whose size and mtime did not change since it was hashed is not read again.
 */
export async function storedBlobFiles(dataDir: string, cache: StoredDigestMemo = new Map()): Promise<StoredFile[]> {
  const root = path.join(dataDir, 'blobs');
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: StoredFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const stats = await fs.stat(file);
    let known = cache.get(file);
    if (!known || known.size !== stats.size || known.mtimeMs !== stats.mtimeMs) {
      known = { size: stats.size, mtimeMs: stats.mtimeMs, sha256: sha256Of(await fs.readFile(file)) };
      cache.set(file, known);
    }
    files.push({ name: entry.name, sha256: known.sha256, size: known.size });
  }
  return files;
}

/** What <dataDir>/tmp holds (upload temporaries); [] when the directory is absent. */
export async function tmpFiles(dataDir: string): Promise<string[]> {
  return fs.readdir(path.join(dataDir, 'tmp')).catch(() => []);
}

/**
 * The upload temporaries of a test server's fs store (the directory must exist: the server creates it), or []
 * for a store that keeps none on local disk, so the same assertion runs in every project.
 */
export async function serverTmpFiles(server: TestServer): Promise<string[]> {
  return server.server.backends.blobs.kind === 'fs' ? fs.readdir(path.join(server.dataDir, 'tmp')) : [];
}
