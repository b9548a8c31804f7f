// The check step of a pull: which files of the manifest are already in the directory with the right bytes
// (same size, then same sha256), so an interrupted pull resumes instead of starting over.
import { HASH_CONCURRENCY } from '../transfer-common/constants.js';
import { hashFile } from '../transfer-common/hash-file.js';
import { mapWithConcurrency } from '../../client/upload/pool.js';
import type { ProgressDisplay } from '../transfer-common/progress.js';
import { blobsOf } from './manifest-files.js';
import type { PullBlob, PullFile } from './manifest-files.js';
import type { PathGuard } from './path-guard.js';

export interface LocalCheck {
  /** The blobs to download, each with only the paths that lack its bytes. */
  toWrite: PullBlob[];
  upToDateFiles: number;
  /** Files already right but for the executable bit: only their permissions change. */
  wrongMode: string[];
}

export async function checkLocalFiles(
  files: readonly PullFile[],
  guard: PathGuard,
  progress: ProgressDisplay,
  signal: AbortSignal,
): Promise<LocalCheck> {
  // Every path is looked at before any byte is read: a refused path stops the pull before it writes anything.
  const existing = await mapWithConcurrency(files, HASH_CONCURRENCY, (file) => guard.inspect(file.path));
  const sameSize = files.filter((file, index) => {
    const entry = existing[index];
    return entry.kind === 'file' && entry.size === file.size;
  });
  const upToDate = new Set<string>();
  if (sameSize.length > 0) {
    progress.start(
      'checking',
      'file',
      sameSize.length,
      sameSize.reduce((sum, file) => sum + file.size, 0),
    );
    await mapWithConcurrency(
      sameSize,
      HASH_CONCURRENCY,
      async (file) => {
        const { sha256 } = await hashFile(guard.resolve(file.path), (bytes) => progress.addBytes(bytes), signal);
        if (sha256 === file.sha256) upToDate.add(file.path);
        progress.addItem();
      },
      signal,
    );
    progress.end(`${upToDate.size} already there`);
  }
  const wrongMode = files
    .filter((file, index) => {
      const entry = existing[index];
      return upToDate.has(file.path) && entry.kind === 'file' && ((entry.mode & 0o111) !== 0) !== (file.mode === '100755');
    })
    .map((file) => file.path);
  return { toWrite: blobsOf(files.filter((file) => !upToDate.has(file.path))), upToDateFiles: upToDate.size, wrongMode };
}
