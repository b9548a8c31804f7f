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

export interface PutOptions {
  /** Aborted when the client goes away: the store stops and keeps nothing. */
  readonly signal?: AbortSignal;
}

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end: number;
}

/** Verified bytes waiting in a temporary place, not yet visible at any key. */
export interface StagedBlob {
  /**
   * Makes the bytes visible at `key`, durably. An existing object at `key` is left as it is (it holds
   * the same bytes): `created` is false. Safe to race with other commits of the same key.
   */
  commit(key: string): Promise<{ created: boolean }>;
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

  /** Prepares the store (directories, bucket check) and removes temporaries left by a crash. */
  init(): Promise<void>;

  /**
   * Streams `body` to a temporary place, verifying size and sha256 as it arrives, and makes it durable
   * there. Throws (keeping nothing) on a mismatch, an abort or a store failure.
   */
  stage(body: AsyncIterable<Buffer>, expected: ExpectedBlob, options?: PutOptions): Promise<StagedBlob>;

  /**
   * stage() then commit(key): streams `body` to the store under `key`, verifying size and sha256 as it arrives. The object
   * becomes visible at `key` only after it is verified and durable. Idempotent: when `key` already
   * holds the blob, the body is still read and verified, nothing is rewritten, and `created` is false.
   * Concurrent puts of one key all succeed and leave exactly one object.
   */
  put(key: string, body: AsyncIterable<Buffer>, expected: ExpectedBlob, options?: PutOptions): Promise<{ created: boolean }>;

  /** The committed object's size, or null when `key` holds nothing. */
  stat(key: string): Promise<BlobStat | null>;

  /** A stream of the object's bytes (or of one inclusive range); AppError('blob_not_found') if absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;

  /** Removes the object; removing an absent key is not an error. */
  delete(key: string): Promise<void>;

  /** Every committed object (never temporaries), for garbage collection. */
  list(): AsyncIterable<ListedBlob>;

  /** Resolves when the backend is reachable and writable enough to serve; throws otherwise. */
  checkReady(): Promise<void>;

  close(): Promise<void>;
}
