// What the parts of one upload share: its options and events, the retry policy and stall timeout, whether the
// server still takes batches, and what got stored.
import type { PressCloudApiError } from '../errors.js';
import type { SessionCredentials, UploadApi, UploadBlob } from './api.js';
import type { BatchNotAcceptedError } from './errors.js';
import type { RetryNotice, RetryPolicy } from './retry.js';
import { defaultRetryPolicy } from './retry.js';
import { DEFAULT_STALL_TIMEOUT_MS, withStallTimeout } from './stall.js';

export const DEFAULT_UPLOAD_CONCURRENCY = 8;

/** The hook a resumable (tus) uploader plugs into: it stores one large blob into the session, resuming on failure. */
export interface ResumableUploader<B extends UploadBlob = UploadBlob> {
  /** Blobs larger than this take this path. */
  aboveBytes: number;
  /** Resolves once the blob is stored; `onBytes` as for the other requests (negative when bytes must go again). */
  upload(
    session: SessionCredentials,
    blob: B,
    context: { signal: AbortSignal; onBytes(delta: number): void; retryPolicy: RetryPolicy; stallTimeoutMs: number },
  ): Promise<void>;
  /**
   * Whether a cancel leaves `session` open rather than aborting it: it holds an unfinished upload whose bytes the
   * server acknowledged, which an abort would throw away and a later run can resume. It expires on its own.
   */
  keepsSession?(session: SessionCredentials): boolean;
}

export interface UploadEvents<B extends UploadBlob = UploadBlob> {
  /** A session was opened; `missing` are the blobs it lacks (`renewal` after the last one expired). */
  onSessionOpened?(event: { uploadSessionId: string; missing: readonly B[]; renewal: boolean }): void;
  /** Blob bytes sent; negative when a failed attempt's bytes will be sent again. */
  onBytes?(delta: number): void;
  /** The server holds this blob now (a PUT or a part answered, or the session stopped listing it). */
  onUploaded?(blob: B): void;
  /** A call failed and will be tried again after `notice.delayMs`; `what` names it (`upload of …`, `completion`). */
  onRetry?(what: string, notice: RetryNotice): void;
  /** The server refused a batch: every blob goes in a PUT of its own from now on. */
  onBatchesRefused?(error: BatchNotAcceptedError): void;
  /** Completion answered blobs_missing (say, a garbage collection in between): these go again. */
  onStillMissing?(blobs: readonly B[]): void;
}

export interface UploadOptions<B extends UploadBlob = UploadBlob> {
  api: UploadApi<B>;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Default: retried for 60 s (retry.ts). */
  retryPolicy?: RetryPolicy;
  /** A request that moves no byte for this long is given up and retried. Default 30 s. */
  stallTimeoutMs?: number;
  /** expiresInSeconds asked for each session; undefined lets the server choose. */
  sessionTtlSeconds?: number;
  /** A label for the manifest (the folder's name, say), sent with each session; not part of its id. */
  label?: string;
  /** False: never try batches (every blob a PUT of its own). */
  batches?: boolean;
  /** Large blobs through a resumable uploader instead of one PUT. */
  resumable?: ResumableUploader<B>;
  /** How messages name a blob (`upload of …`); its sha256 otherwise. */
  describe?: (blob: B) => string;
  /** Abort the session when the upload fails (a cancel always aborts it). */
  abortSessionOnFailure?: boolean;
  events?: UploadEvents<B>;
  signal?: AbortSignal;
}

export class UploadContext<B extends UploadBlob> {
  readonly events: UploadEvents<B>;
  readonly retryPolicy: RetryPolicy;
  readonly stallTimeoutMs: number;
  readonly concurrency: number;
  /** Turned off for the rest of the upload when the server refuses a batch. */
  batches: boolean;
  readonly stored = new Set<string>();
  retries = 0;

  constructor(readonly options: UploadOptions<B>) {
    this.events = options.events ?? {};
    this.retryPolicy = options.retryPolicy ?? defaultRetryPolicy();
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.concurrency = options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY;
    this.batches = options.batches ?? true;
  }

  describe(blob: B): string {
    return this.options.describe?.(blob) ?? blob.sha256;
  }

  withStall<T>(signal: AbortSignal | undefined, operation: (signal: AbortSignal, touch: () => void) => Promise<T>): Promise<T> {
    return withStallTimeout(this.stallTimeoutMs, signal, operation);
  }

  uploaded(blob: B): void {
    this.stored.add(blob.sha256);
    this.events.onUploaded?.(blob);
  }

  retried(what: string, notice: RetryNotice): void {
    this.retries++;
    this.events.onRetry?.(what, notice);
  }

  isBatchRefusal(err: PressCloudApiError): boolean {
    return err.status === 413 || err.code === 'not_found' || err.code === 'method_not_allowed';
  }
}
