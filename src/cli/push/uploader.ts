// Uploads a session's missing blobs with bounded concurrency, a stall watchdog and retries on each PUT.
import { createReadStream } from 'node:fs';
import type { PressCloudClient } from '../../client/client.js';
import { isPressCloudApiError } from '../../client/errors.js';
import { assertUnchanged } from './file-changed.js';
import type { LocalBlob } from './local-manifest.js';
import type { ProgressDisplay } from './progress.js';
import { isRetryable, withRetry } from './retry.js';
import type { RetryNotice, RetryPolicy } from './retry.js';
import { StallWatchdog } from './stall-watchdog.js';

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
  /** A PUT answered 200 for this blob. */
  onUploaded: (blob: BlobToUpload) => void;
  /** Ctrl-C: the round stops, PUTs in flight are cancelled, and uploadAll rejects with the signal's reason. */
  signal?: AbortSignal;
}

export type UploadRoundOutcome = 'uploaded' | 'session_expired';

export class BlobUploadError extends Error {
  readonly blob: BlobToUpload;

  constructor(blob: BlobToUpload, cause: unknown) {
    super(`uploading ${blob.path}`, { cause });
    this.name = 'BlobUploadError';
    this.blob = blob;
  }
}

export class BlobUploader {
  private readonly client: PressCloudClient;
  private readonly options: UploaderOptions;

  constructor(client: PressCloudClient, options: UploaderOptions) {
    this.client = client;
    this.options = options;
  }

  /**
   * Uploads every blob into one session. Stops taking new blobs when the session expires (the caller opens a new
   * one, whose `missing` says what is left); any other failure stops the round and is thrown as a BlobUploadError.
   */
  async uploadAll(session: SessionCredentials, blobs: readonly BlobToUpload[]): Promise<UploadRoundOutcome> {
    const round = new AbortController();
    let sessionExpired = false;
    let failure: BlobUploadError | undefined;
    let next = 0;

    const worker = async (): Promise<void> => {
      while (next < blobs.length && !sessionExpired && failure === undefined) {
        const blob = blobs[next++];
        try {
          await this.uploadOne(session, blob, round.signal);
        } catch (err) {
          if (isPressCloudApiError(err, 'session_expired')) {
            // In-flight PUTs may still land; whatever did not is in the next session's `missing`.
            sessionExpired = true;
          } else if (!round.signal.aborted) {
            failure = new BlobUploadError(blob, err);
            round.abort(failure);
          }
        }
      }
    };
    const { signal } = this.options;
    const onInterrupt = () => round.abort(signal?.reason);
    signal?.addEventListener('abort', onInterrupt, { once: true });
    try {
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency, blobs.length) }, worker));
    } finally {
      signal?.removeEventListener('abort', onInterrupt);
    }
    signal?.throwIfAborted();
    if (failure) throw failure;
    return sessionExpired ? 'session_expired' : 'uploaded';
  }

  private async uploadOne(session: SessionCredentials, blob: BlobToUpload, roundSignal: AbortSignal): Promise<void> {
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
    progress.addItem();
    this.options.onUploaded(blob);
  }
}
