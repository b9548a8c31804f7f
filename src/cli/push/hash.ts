// Hashes the walked files in parallel, with a bound on the files open at once.
import { createHash } from 'node:crypto';
import type { HashCache } from './hash-cache.js';
import { hashFile } from '../transfer-common/hash-file.js';
import { mapWithConcurrency } from '../../client/upload/pool.js';
import type { WalkedFile } from './walk.js';

export interface HashedFile extends WalkedFile {
  sha256: string;
}

export interface HashOptions {
  concurrency: number;
  onBytes?: (bytes: number) => void;
  onFileDone?: () => void;
  /** Reuses the hash of a file whose stat is unchanged, and remembers the fresh ones. */
  cache?: HashCache;
  /** Ctrl-C: stops reading; the files hashed so far are already in the cache. */
  signal?: AbortSignal;
}

export function hashFiles(files: readonly WalkedFile[], options: HashOptions): Promise<HashedFile[]> {
  return mapWithConcurrency(
    files,
    options.concurrency,
    async (file) => {
      const { sha256, size } = file.linkTarget
        ? // A symlink's blob is its target, read by the walk: nothing to read, and nothing the cache should hold.
          { sha256: createHash('sha256').update(file.linkTarget).digest('hex'), size: file.linkTarget.length }
        : options.cache
          ? await hashThroughCache(file, options.cache, options.onBytes, options.signal)
          : await hashFile(file.absolutePath, options.onBytes, options.signal);
      options.onFileDone?.();
      // The size read now wins over the walk's: the file may have grown in between, and the manifest must match the bytes.
      return { ...file, sha256, size };
    },
    options.signal,
  );
}

async function hashThroughCache(
  file: WalkedFile,
  cache: HashCache,
  onBytes?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number }> {
  // The walk's stat, taken before reading: if the file changes while being read, its stamp changes too, and the
  // next push re-hashes it.
  const { stamp } = file;
  const cached = cache.lookup(file.path, stamp);
  if (cached !== undefined) {
    // Counted as done, so the progress line and its ETA cover the whole tree.
    onBytes?.(stamp.size);
    return { sha256: cached, size: stamp.size };
  }
  const hashed = await hashFile(file.absolutePath, onBytes, signal);
  // A size that differs from the stat means the file changed mid-read: its hash belongs to no stamp we know.
  if (hashed.size === stamp.size) cache.record(file.path, stamp, hashed.sha256, Date.now());
  return hashed;
}
