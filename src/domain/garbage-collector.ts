// Garbage collection: expires stale sessions, purges finished ones past their retention, and deletes the
// bytes of blobs nothing needs any more, following the tombstone protocol of the metadata port
// (tombstone exclusively, delete bytes, forget rows).
import type { BlobStore } from './ports/blob-store.js';
import type { GarbageSweeper } from './ports/metadata-store.js';
import { blobKey, sha256OfKey } from './blob-key.js';

export interface GarbageCollectionInput {
  readonly metadata: GarbageSweeper;
  readonly blobs: BlobStore;
  /** A blob (or a stray object in the store) younger than this is kept, whatever references it. */
  readonly graceSeconds: number;
  /** Completed, aborted and expired sessions are purged this long after they finished; manifests stay. */
  readonly sessionRetentionSeconds: number;
  readonly now: Date;
  /** Resumable uploads, whose abandoned ones (expired, or their session ended) are dropped. */
  readonly resumable?: { expire(now: Date): Promise<number> };
}

export interface GarbageCollectionResult {
  /** Open sessions past their expiry, now marked expired. */
  expiredSessions: number;
  /** Finished sessions past the retention, deleted with their file lists. */
  purgedSessions: number;
  /** Blobs whose bytes were deleted, orphans included. */
  deletedBlobs: number;
  deletedBytes: number;
  /** Of deletedBlobs, those that were objects in the store without any row (left by a crash). */
  orphansDeleted: number;
  /** Unfinished uploads a crash left in the blob store (S3 multipart uploads), aborted. */
  abortedUploads: number;
  /** Resumable uploads dropped (given `resumable`): expired, or their session ended. */
  expiredUploads?: number;
}

/** knownBlobs is asked in batches of this many, so listing a big store keeps memory flat. */
const KNOWN_BLOBS_BATCH = 1000;
const DELETES_IN_FLIGHT = 8;

export async function collectGarbage(input: GarbageCollectionInput): Promise<GarbageCollectionResult> {
  const { metadata, blobs } = input;
  const now = input.now.toISOString();
  const cutoff = new Date(input.now.getTime() - input.graceSeconds * 1000);

  const expiredSessions = await metadata.expireSessions(now);
  const expiredUploads = await input.resumable?.expire(input.now);
  const purgedSessions = await metadata.purgeSessions(new Date(input.now.getTime() - input.sessionRetentionSeconds * 1000).toISOString());
  const abortedUploads = (await blobs.sweepTemporaries?.(input.now)) ?? 0;
  const orphans = await findOrphans(metadata, blobs, cutoff);
  const doomed = await metadata.tombstoneGarbage(cutoff.toISOString(), orphans, now);

  const deleted: string[] = [];
  let deletedBytes = 0;
  let failure: unknown;
  await forEachBounded(doomed, DELETES_IN_FLIGHT, async (sha256) => {
    try {
      const key = blobKey(sha256);
      const stat = await blobs.stat(key);
      await blobs.delete(key);
      deleted.push(sha256);
      deletedBytes += stat?.size ?? 0;
    } catch (err) {
      failure ??= err;
    }
  });
  // Only rows whose bytes are gone are forgotten (with the bytes the database kept for them, the small blobs);
  // the others stay tombstoned for the next run.
  deletedBytes += await metadata.forgetBlobs(deleted);
  if (failure !== undefined) throw failure;

  const orphanSet = new Set(orphans);
  return {
    expiredSessions,
    purgedSessions,
    deletedBlobs: deleted.length,
    deletedBytes,
    orphansDeleted: deleted.filter((sha256) => orphanSet.has(sha256)).length,
    abortedUploads,
    ...(expiredUploads === undefined ? {} : { expiredUploads }),
  };
}

/**
 * Objects older than the cutoff with no row at all: bytes a crash left between their commit and the
 * row's. Younger ones may belong to a PUT still committing, so they wait for a later run.
 */
async function findOrphans(metadata: GarbageSweeper, blobs: BlobStore, cutoff: Date): Promise<string[]> {
  const orphans: string[] = [];
  let batch: string[] = [];
  const flush = async () => {
    const known = await metadata.knownBlobs(batch);
    orphans.push(...batch.filter((sha256) => !known.has(sha256)));
    batch = [];
  };
  for await (const listed of blobs.list()) {
    const sha256 = sha256OfKey(listed.key);
    if (sha256 === null || listed.modifiedAt.getTime() >= cutoff.getTime()) continue;
    batch.push(sha256);
    if (batch.length >= KNOWN_BLOBS_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return orphans;
}

async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
