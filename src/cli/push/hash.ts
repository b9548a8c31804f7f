// Hashes the walked files in parallel, with a bound on the files open at once.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mapWithConcurrency } from './pool.js';
import type { WalkedFile } from './walk.js';

export interface HashedFile extends WalkedFile {
  sha256: string;
}

export interface HashOptions {
  concurrency: number;
  onBytes?: (bytes: number) => void;
  onFileDone?: () => void;
}

export function hashFiles(files: readonly WalkedFile[], options: HashOptions): Promise<HashedFile[]> {
  return mapWithConcurrency(files, options.concurrency, async (file) => {
    const { sha256, size } = await hashFile(file.absolutePath, options.onBytes);
    options.onFileDone?.();
    // The size read now wins over the walk's: the file may have grown in between, and the manifest must match the bytes.
    return { ...file, sha256, size };
  });
}

export async function hashFile(
  absolutePath: string,
  onBytes?: (bytes: number) => void,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(absolutePath, { highWaterMark: 1 << 20 })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.byteLength;
    onBytes?.(bytes.byteLength);
  }
  return { sha256: hash.digest('hex'), size };
}
