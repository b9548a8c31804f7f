// The blob storage port, owned by the domain and implemented by storage/blob/: drivers only move bytes
// under keys; content addressing (blob-key.ts) and verification (blob-verifier.ts) live above them.
import type { Readable } from 'node:stream';
import type { ExpectedBlob } from '../blob-verifier.js';

export interface BlobStat {
  readonly size: number;
}

export interface ListedBlob {
  readonly key: string;
  readonly size: number;
  readonly modifiedAt: Date;
}

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end: number;
}

/** Verified bytes waiting in a temporary place (a file, memory, an unfinished multipart upload), not yet visible at their key. */
export interface StagedBlob {
  /**
   * Makes the bytes visible at the key they were staged for, durably. An existing object at the key is
   * left as it is (it holds the same bytes): `created` is false. Safe to race with other commits of the key.
   */
  commit(): Promise<{ created: boolean }>;
  /** Removes the temporary bytes; always call it, after commit or instead of it. Never throws. */
  discard(): Promise<void>;
}

/**
 * Errors: a store throws AppError('storage_unavailable') when the backend cannot be reached or fails,
 * AppError('insufficient_storage') when it is out of space, and lets the verifier's size_mismatch and
 * digest_mismatch through. Whatever it throws, nothing partial or unverified is left at any key.
 */
export interface BlobStore {
  /** A short name for logs and /readyz (`fs`, `s3`). */
  readonly kind: string;

  /** Prepares the store (directories, bucket check) and removes the temporaries a crash left that it can tell from uploads in progress (the rest: sweepTemporaries). */
  init(): Promise<void>;

  /**
   * Streams `body` to a temporary place for `key`, verifying size and sha256 as it arrives; nothing is visible
   * at `key` before commit(), and only commit() makes the bytes durable there. Throws (keeping nothing) on a mismatch,
   * a store failure, or when `body` throws: that is how an upload ends early (the client went away, its
   * body went idle), so a body must throw rather than stall forever.
   */
  stage(key: string, body: AsyncIterable<Buffer>, expected: ExpectedBlob): Promise<StagedBlob>;

  /** The committed object's size, or null when `key` holds nothing. */
  stat(key: string): Promise<BlobStat | null>;

  /** A stream of the object's bytes (or of one inclusive range); AppError('blob_not_found') if absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;

  /** Removes the object; removing an absent key is not an error. */
  delete(key: string): Promise<void>;

  /** Every committed object (never temporaries), for garbage collection. */
  list(): AsyncIterable<ListedBlob>;

  /**
   * For garbage collection: removes temporaries a crashed instance left outside any key (an S3 store's
   * unfinished multipart uploads) once older than the store's own stale age, and returns how many. Never
   * touches an upload still running elsewhere. Stores that clear their temporaries in init() have none.
   */
  sweepTemporaries?(now: Date): Promise<number>;

  /** Resolves when the backend is reachable and writable enough to serve; throws otherwise. */
  checkReady(): Promise<void>;

  close(): Promise<void>;
}
