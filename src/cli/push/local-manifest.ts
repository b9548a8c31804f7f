// The build step of a push: walk the directory, hash its files (through the hash cache), name their media
// types. The result is a plain value; nothing here talks to the server.
import { realpath } from 'node:fs/promises';
import { lookup as mimeOfPath } from 'mime-types';
import type { ManifestFileInput } from '../../api/types.js';
import type { UploadBlob } from '../../client/upload/api.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import { HASH_CONCURRENCY } from '../transfer-common/constants.js';
import { hashFiles } from './hash.js';
import type { HashedFile } from './hash.js';
import { HashCache } from './hash-cache.js';
import { PushInterrupted } from './interrupt.js';
import type { ProgressDisplay } from '../transfer-common/progress.js';
import type { SkippedFile } from './skipped.js';
import { walkDirectory } from './walk.js';
import { FileBlob, LinkBlob } from './file-source.js';

/** One distinct blob of the manifest and where its bytes are read from. */
export interface LocalBlob extends UploadBlob {
  /** The first manifest path naming this blob, for messages. */
  readonly path: string;
  readonly absolutePath: string;
}

export interface LocalManifest {
  /** The entries sent at session creation, sorted by path. */
  readonly files: readonly ManifestFileInput[];
  /** Each distinct blob once, keyed by its lowercase sha256. */
  readonly blobs: ReadonlyMap<string, LocalBlob>;
  /** The files' sizes summed (a blob named by two paths counts twice). */
  readonly totalBytes: number;
  /** Every hash came from the hash cache: nothing changed since the last push hashed the tree. */
  readonly allFromCache: boolean;
  /** What the walk left out, with why. */
  readonly skipped: readonly SkippedFile[];
}

export interface BuildOptions {
  directory: string;
  /** Where the hash cache lives; undefined disables it (`--no-cache`). */
  hashCacheDir: string | undefined;
  progress: ProgressDisplay;
  /** Ctrl-C: hashing stops, and what was hashed is saved to the cache before the build rejects. */
  signal?: AbortSignal;
}

export async function buildLocalManifest(options: BuildOptions): Promise<LocalManifest> {
  const { progress } = options;
  const skipped: SkippedFile[] = [];
  const walked = await walkDirectory(options.directory, {
    warn: (message) => progress.note(`warning: ${message}`),
    onSkip: (file) => skipped.push(file),
  });
  if (walked.length === 0) throw new CliError(`${options.directory} has no files to push`, EXIT_USAGE);
  options.signal?.throwIfAborted();
  const cache =
    options.hashCacheDir === undefined ? undefined : await HashCache.load(options.hashCacheDir, await realpath(options.directory));
  progress.start(
    'hashing',
    'file',
    walked.length,
    walked.reduce((sum, file) => sum + file.size, 0),
  );
  let hashed: HashedFile[];
  try {
    hashed = await hashFiles(walked, {
      concurrency: HASH_CONCURRENCY,
      onBytes: (bytes) => progress.addBytes(bytes),
      onFileDone: () => progress.addItem(),
      cache,
      signal: options.signal,
    });
  } catch (err) {
    if (!options.signal?.aborted) throw err;
    progress.end(cache ? `${cache.hits} from cache` : undefined);
    if (!cache) throw new PushInterrupted('interrupted while hashing; nothing was sent');
    // Hours of hashing a large tree must not be lost to one Ctrl-C.
    await saveCache(cache, progress, { keepUnvisited: true });
    throw new PushInterrupted('interrupted while hashing; the hashes computed so far are kept for the next push');
  }
  progress.end(cache ? `${cache.hits} from cache` : undefined);
  // The hashes are right whatever happens to the upload, so they are saved now.
  if (cache) await saveCache(cache, progress);
  // Symlinks never come from the cache (their target is read anew each time, which costs nothing).
  const links = hashed.filter((file) => file.linkTarget !== undefined).length;
  return { ...localManifestOf(hashed, cache !== undefined && cache.hits + links === hashed.length), skipped };
}

/** A cache that cannot be written only costs the next push some time: a warning, not a failure. */
async function saveCache(cache: HashCache, progress: ProgressDisplay, options: { keepUnvisited?: boolean } = {}): Promise<void> {
  await cache.save(options).catch((err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    progress.note(`warning: could not write the hash cache ${cache.file}: ${reason}`);
  });
}

function localManifestOf(hashed: readonly HashedFile[], allFromCache: boolean): Omit<LocalManifest, 'skipped'> {
  const blobs = new Map<string, LocalBlob>();
  for (const file of hashed) {
    if (blobs.has(file.sha256)) continue;
    blobs.set(
      file.sha256,
      file.linkTarget
        ? new LinkBlob(file.sha256, file.linkTarget, file.path, file.absolutePath)
        : new FileBlob(file.sha256, file.size, file.path, file.absolutePath),
    );
  }
  return {
    files: hashed.map(manifestEntry),
    blobs,
    totalBytes: hashed.reduce((sum, file) => sum + file.size, 0),
    allFromCache,
  };
}

function manifestEntry(file: HashedFile): ManifestFileInput {
  const entry = { path: file.path, sha256: file.sha256, size: file.size, ...(file.mode ? { mode: file.mode } : {}) };
  // A symlink's blob is its target's text, never served as a page: a media type would only mislead.
  const mime = file.mode === '120000' ? false : mimeOfPath(file.path);
  return mime ? { ...entry, mime } : entry;
}
