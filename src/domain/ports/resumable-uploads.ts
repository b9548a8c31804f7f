// The ports of resumable (tus) uploads: where an upload's state lives (a metadata role, implemented by the
// SQL store) and where its partial bytes wait until the last one arrives (a file in the data directory, or
// an S3 multipart upload to the blob's final key).
import type { StagedBlob } from './blob-store.js';

/** An upload as the metadata store keeps it. `offset` bytes are durable, and `hashState` is their SHA-256 state. */
export interface ResumableUploadRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly sessionId: string;
  /** Lowercase hex. */
  readonly sha256: string;
  readonly length: number;
  readonly offset: number;
  readonly state: 'receiving' | 'completed';
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The mime sniffed from the first bytes (null until they arrive, or when nothing matched). */
  readonly mime: string | null;
  /** The running SHA-256 of the first `offset` bytes, as the hasher saved it. */
  readonly hashState: Uint8Array | null;
  /** The partial store's own state (an S3 multipart upload and its parts), opaque to the domain. */
  readonly storeState: string | null;
  /** The partial store's bytes not yet in a part (S3 keeps at most one part's worth here). */
  readonly tail: Uint8Array | null;
}

export type NewResumableUpload = Omit<ResumableUploadRecord, 'offset' | 'state' | 'mime' | 'hashState' | 'tail'>;

/** What one acknowledged step of a PATCH leaves durable: the offset and everything that goes with it. */
export interface ResumableProgress {
  readonly offset: number;
  readonly hashState: Uint8Array;
  readonly mime: string | null;
  readonly storeState: string | null;
  readonly tail: Uint8Array | null;
}

/** Upload state, in the metadata store (one row per upload). Writes are atomic; failures are storage_unavailable. */
export interface ResumableUploadStore {
  createResumableUpload(upload: NewResumableUpload): Promise<void>;
  /** The tenant's upload, or null (also for another tenant's, or a dropped one). */
  getResumableUpload(tenantId: string, uploadId: string): Promise<ResumableUploadRecord | null>;
  /**
   * Takes the upload's lease (who may write it) until `until`, when no other holder's lease is live at
   * `now`; renewing one's own lease also succeeds. False when someone else holds it or the upload is gone.
   */
  leaseResumableUpload(uploadId: string, leaseId: string, now: string, until: string): Promise<boolean>;
  /** Lets go of the lease, if still held by `leaseId`. */
  releaseResumableUpload(uploadId: string, leaseId: string): Promise<void>;
  /** Records acknowledged progress; false (and nothing written) when `leaseId` no longer holds the lease. */
  saveResumableProgress(uploadId: string, leaseId: string, progress: ResumableProgress): Promise<boolean>;
  /** The upload is committed: offset = length, its partial state dropped, kept for HEAD until its session ends. */
  completeResumableUpload(uploadId: string, length: number): Promise<void>;
  deleteResumableUpload(uploadId: string): Promise<void>;
  /**
   * Uploads past their expiry at `now` or whose session is no longer open (completed, aborted, expired
   * or gone), at most `limit` of them, for garbage collection.
   */
  endedResumableUploads(now: string, limit: number): Promise<ResumableUploadRecord[]>;
}

/** What a partial upload's store needs of it. */
export interface PartialUpload {
  readonly id: string;
  /** The blob key the bytes are for (blobKey of the sha256). */
  readonly key: string;
  readonly length: number;
  readonly offset: number;
  readonly storeState: string | null;
  readonly tail: Uint8Array | null;
}

/** Everything written so far is durable given this state (kept with the offset it belongs to). */
export interface PartialCheckpoint {
  readonly storeState: string | null;
  readonly tail: Uint8Array | null;
}

/** One PATCH's bytes going into the partial store. Memory stays bounded (about one S3 part) whatever it is fed. */
export interface PartialWriter {
  /** Appends; resolves a checkpoint when what was written so far became durable on its own (an S3 part), else undefined. */
  write(chunk: Buffer): Promise<PartialCheckpoint | undefined>;
  /** Makes everything written durable (fsync, or the S3 tail handed back to be kept with the offset). */
  flush(): Promise<PartialCheckpoint>;
  /** All `length` bytes written: makes them durable and ready to commit at the key, nothing visible there yet. */
  finish(): Promise<StagedBlob>;
  /** Forgets what was written since the last checkpoint that was kept (a PATCH refused); never throws. */
  abandon(): Promise<void>;
}

/**
 * Errors: storage_unavailable and insufficient_storage, like BlobStore. Nothing is visible at a blob key
 * before the StagedBlob from finish() is committed.
 */
export interface PartialUploadStore {
  /** Prepares storage for a new upload; returns the state to keep with it. */
  create(uploadId: string, key: string, length: number): Promise<string | null>;
  /** A writer continuing at `upload.offset`; bytes an earlier, unacknowledged write left past it are overwritten. */
  openWriter(upload: PartialUpload): Promise<PartialWriter>;
  /** Drops the upload's bytes (termination, a wrong digest, expiry); dropping twice is not an error. */
  drop(upload: PartialUpload): Promise<void>;
}
