// Uploads a session's missing blobs with bounded concurrency, a stall watchdog and retries on each request: small
// blobs in multipart batches, large ones one PUT each (batch-plan.ts).
import { createReadStream } from 'node:fs';
import type { PressCloudClient } from '../../client/client.js';
import { isPressCloudApiError } from '../../client/errors.js';
import { assertUnchanged } from './file-changed.js';
import type { LocalBlob } from './local-manifest.js';
import type { ProgressDisplay } from '../transfer-common/progress.js';
import { isRetryable, withRetry } from '../transfer-common/retry.js';
import type { RetryNotice, RetryPolicy } from '../transfer-common/retry.js';
import { StallWatchdog } from '../transfer-common/stall-watchdog.js';
import { BatchNotAccepted, BatchSender } from './batch-sender.js';
import { planUploads } from './batch-plan.js';
import type { UploadUnit } from './batch-plan.js';
import { BlobUploadError } from './blob-upload-error.js';
import type { ResumableBlobs } from './resumable-blob.js';

/** A blob of the LocalManifest, read from its file when its request goes out. */
export type BlobToUpload = LocalBlob;

export interface SessionCredentials {
  uploadSessionId: string;
  uploadToken: string;
}

export interface UploaderOptions {
  concurrency: number;
  retryPolicy: RetryPolicy;
  stallTimeoutMs: number;
  progress: ProgressDisplay;
  onRetry: (what: string, notice: RetryNotice) => void;
  /** The server stored this blob (a PUT or a batch part answered 200, or the session stopped listing it). */
  onUploaded: (blob: BlobToUpload) => void;
  /** Ctrl-C: the round stops, PUTs in flight are cancelled, and uploadAll rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Blobs it takes go through tus and resume across runs (resumable-blob.ts). */
  resumable?: ResumableBlobs;
}

export type UploadRoundOutcome = 'uploaded' | 'session_expired';

export class BlobUploader {
  private readonly client: PressCloudClient;
  private readonly options: UploaderOptions;
  private readonly batchSender: BatchSender;
  /** Turned off for the rest of the push when the server refuses a batch. */
  private batches = true;

  constructor(client: PressCloudClient, options: UploaderOptions) {
    this.client = client;
    this.options = options;
    this.batchSender = new BatchSender(client, options);
  }

  /**
   * Uploads every blob into one session. Stops taking new blobs when the session expires (the caller opens a new
   * one, whose `missing` says what is left); any other failure stops the round and is thrown as a BlobUploadError.
   */
  async uploadAll(session: SessionCredentials, blobs: readonly BlobToUpload[]): Promise<UploadRoundOutcome> {
    const round = new AbortController();
    const units = planUploads(blobs, this.batches);
    let sessionExpired = false;
    let failure: BlobUploadError | undefined;
    let next = 0;

    const worker = async (): Promise<void> => {
      while (next < units.length && !sessionExpired && failure === undefined) {
        const unit = units[next++];
        try {
          await this.uploadUnit(session, unit, round.signal);
        } catch (err) {
          if (isPressCloudApiError(err, 'session_expired')) {
            // In-flight requests may still land; whatever did not is in the next session's `missing`.
            sessionExpired = true;
          } else if (!round.signal.aborted) {
            failure = err instanceof BlobUploadError ? err : unitError(unit, err);
            round.abort(failure);
          }
        }
      }
    };
    const { signal } = this.options;
    const onInterrupt = () => round.abort(signal?.reason);
    signal?.addEventListener('abort', onInterrupt, { once: true });
    try {
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency, units.length) }, worker));
    } finally {
      signal?.removeEventListener('abort', onInterrupt);
    }
    signal?.throwIfAborted();
    if (failure) throw failure;
    return sessionExpired ? 'session_expired' : 'uploaded';
  }

  private async uploadUnit(session: SessionCredentials, unit: UploadUnit, roundSignal: AbortSignal): Promise<void> {
    if (unit.kind === 'put') return this.uploadOne(session, unit.blob, roundSignal);
    try {
      await this.batchSender.send(session, unit.blobs, roundSignal);
    } catch (err) {
      if (!(err instanceof BatchNotAccepted)) throw err;
      if (this.batches) this.options.progress.note(err.message);
      this.batches = false;
      for (const blob of err.pending) await this.uploadOne(session, blob, roundSignal);
    }
  }

  private async uploadOne(session: SessionCredentials, blob: BlobToUpload, roundSignal: AbortSignal): Promise<void> {
    const { progress, resumable } = this.options;
    if (resumable?.takes(blob)) await resumable.upload(session, blob, roundSignal);
    else await this.putOne(session, blob, roundSignal);
    progress.addItem();
    this.options.onUploaded(blob);
  }

  private async putOne(session: SessionCredentials, blob: BlobToUpload, roundSignal: AbortSignal): Promise<void> {
    const { progress } = this.options;
    await withRetry(
      async () => {
        // Before each try, and after a failed one: a file that changed size fails every try the same way.
        await assertUnchanged(blob);
        let sentThisAttempt = 0;
        const watchdog = new StallWatchdog(this.options.stallTimeoutMs);
        try {
          await this.client.putBlob(
            session.uploadSessionId,
            session.uploadToken,
            blob.sha256,
            // Opened only when the request goes out, and afresh on each retry.
            () => createReadStream(blob.absolutePath),
            {
              size: blob.size,
              signal: AbortSignal.any([watchdog.signal, roundSignal]),
              onProgress: (bytes) => {
                sentThisAttempt += bytes;
                progress.addBytes(bytes);
                watchdog.touch();
              },
            },
          );
        } catch (err) {
          progress.addBytes(-sentThisAttempt);
          if (isRetryable(err)) await assertUnchanged(blob);
          throw err;
        } finally {
          watchdog.dispose();
        }
      },
      this.options.retryPolicy,
      (notice) => this.options.onRetry(`upload of ${blob.path}`, notice),
      this.options.signal,
    );
  }
}

function unitError(unit: UploadUnit, err: unknown): BlobUploadError {
  return unit.kind === 'put' ? new BlobUploadError(unit.blob, err) : BlobUploadError.ofBatch(unit.blobs, err);
}
