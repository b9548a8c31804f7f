// How an upload through the core ends when it does not complete: a blob no retry could get through, a session
// that keeps expiring, or a cancellation.
import type { PressCloudApiError } from '../errors.js';

/** These blobs (one, or a batch's) could not be stored; `cause` says why (the last error, after retries). */
export class BlobUploadFailedError<B = unknown> extends Error {
  constructor(
    readonly blobs: readonly B[],
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'BlobUploadFailedError';
  }
}

/** The server will not take a batch (413: its limits are lower; 404/405: it has no batch route). */
export class BatchNotAcceptedError<B = unknown> extends Error {
  constructor(
    readonly pending: readonly B[],
    readonly refusal: PressCloudApiError,
  ) {
    super(`the server does not take batches (${refusal.status} ${refusal.code}); one PUT per blob from now on`, { cause: refusal });
    this.name = 'BatchNotAcceptedError';
  }
}

/** Fresh sessions kept expiring before any blob got through: the sessions' lifetime is too short for this upload. */
export class SessionKeepsExpiringError extends Error {
  constructor() {
    super('the upload session keeps expiring before any blob gets through');
    this.name = 'SessionKeepsExpiringError';
  }
}

/**
 * The signal aborted. `session` says what became of the open session: none was open, aborted now, left to expire
 * (the abort failed), or kept open on purpose for a resumable upload's bytes (ResumableUploader.keepsSession).
 */
export class UploadInterruptedError extends Error {
  constructor(
    readonly reason: unknown,
    readonly session: 'none' | 'aborted' | 'left' | 'kept',
  ) {
    super('the upload was interrupted', { cause: reason });
    this.name = 'UploadInterruptedError';
  }
}
