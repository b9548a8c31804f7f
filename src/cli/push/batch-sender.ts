// Sends a batch of small blobs in one multipart request, retried as a PUT is (backoff, stall timeout), where a
// retry sends only the parts not stored yet: those that failed, or, after the request itself broke off, those
// the session still lists as missing.
import { createReadStream } from 'node:fs';
import type { UploadBlobsResponse } from '../../api/types.js';
import type { PressCloudClient } from '../../client/client.js';
import { PressCloudApiError, isPressCloudApiError } from '../../client/errors.js';
import { CliError } from '../cli-error.js';
import { counted } from '../transfer-common/progress.js';
import { isRetryable, withRetry } from '../transfer-common/retry.js';
import { StallWatchdog } from '../transfer-common/stall-watchdog.js';
import { assertUnchanged } from './file-changed.js';
import type { LocalBlob } from './local-manifest.js';
import { BlobUploadError } from './blob-upload-error.js';
import type { SessionCredentials, UploaderOptions } from './uploader.js';

/** The server will not take this batch (413: its limits are lower; 404/405: it has no batch route). */
export class BatchNotAccepted extends Error {
  constructor(
    readonly pending: readonly LocalBlob[],
    cause: PressCloudApiError,
  ) {
    super(`the server does not take batches (${cause.status} ${cause.code}); one PUT per blob from now on`, { cause });
    this.name = 'BatchNotAccepted';
  }
}

export class BatchSender {
  constructor(
    private readonly client: PressCloudClient,
    private readonly options: UploaderOptions,
  ) {}

  /**
   * Resolves once every blob is stored. Throws a BlobUploadError for a part no retry can fix, BatchNotAccepted
   * with the blobs still to send, or the request's own error (session_expired among them).
   */
  async send(session: SessionCredentials, blobs: readonly LocalBlob[], roundSignal: AbortSignal): Promise<void> {
    let pending = [...blobs];
    // After a request broke off, some of its parts may be stored: the session says which are still missing.
    let askWhatIsMissing = false;
    await withRetry(
      async () => {
        if (askWhatIsMissing) {
          pending = await this.stillMissing(session, pending, roundSignal);
          askWhatIsMissing = false;
        }
        if (pending.length === 0) return;
        for (const blob of pending) await assertUnchanged(blob);
        let response: UploadBlobsResponse;
        try {
          response = await this.post(session, pending, roundSignal);
        } catch (err) {
          askWhatIsMissing = isRetryable(err);
          if (isPressCloudApiError(err) && (err.status === 413 || err.code === 'not_found' || err.code === 'method_not_allowed')) {
            throw new BatchNotAccepted(pending, err);
          }
          throw err;
        }
        const { again, error } = this.settle(pending, response);
        pending = again;
        // Thrown for its status: the retry policy waits as for a PUT answered 5xx, then sends these parts again.
        if (error) throw error;
      },
      this.options.retryPolicy,
      (notice) => this.options.onRetry(`upload of a batch of ${counted(pending.length, 'blob')}`, notice),
      this.options.signal,
    );
  }

  private async post(session: SessionCredentials, blobs: readonly LocalBlob[], roundSignal: AbortSignal): Promise<UploadBlobsResponse> {
    const { progress } = this.options;
    let sent = 0;
    const watchdog = new StallWatchdog(this.options.stallTimeoutMs);
    try {
      return await this.client.uploadBlobs(
        session.uploadSessionId,
        session.uploadToken,
        // Each file is opened when its part's turn comes, and afresh on each retry.
        blobs.map((blob) => ({ sha256: blob.sha256, size: blob.size, body: () => createReadStream(blob.absolutePath) })),
        {
          signal: AbortSignal.any([watchdog.signal, roundSignal]),
          onProgress: (bytes) => {
            sent += bytes;
            progress.addBytes(bytes);
            watchdog.touch();
          },
        },
      );
    } finally {
      // The bytes of stored parts are counted again by settle(); those of failed parts will be sent again.
      progress.addBytes(-sent);
      watchdog.dispose();
    }
  }

  /** Counts the stored parts as uploaded and returns those to send again; a part no retry can fix is thrown. */
  private settle(blobs: readonly LocalBlob[], response: UploadBlobsResponse): { again: LocalBlob[]; error?: PressCloudApiError } {
    if (response.results.length !== blobs.length) {
      throw new CliError(`the server answered ${response.results.length} results for a batch of ${blobs.length} parts`);
    }
    const again: LocalBlob[] = [];
    let error: PressCloudApiError | undefined;
    response.results.forEach((result, index) => {
      const blob = blobs[index];
      if (result.sha256.toLowerCase() !== blob.sha256) {
        throw new CliError(`the server answered for blob ${result.sha256} in place of ${blob.sha256}`);
      }
      if (!('error' in result)) {
        this.uploaded(blob);
        return;
      }
      // The part's result as the error a PUT of the same blob would have thrown.
      const partError = new PressCloudApiError({ status: result.status, code: result.error, message: result.message });
      if (!isRetryable(partError)) throw new BlobUploadError(blob, partError);
      again.push(blob);
      error ??= partError;
    });
    return { again, error };
  }

  /** The blobs the session still lacks; the others were stored by the request that broke off. */
  private async stillMissing(session: SessionCredentials, blobs: readonly LocalBlob[], roundSignal: AbortSignal): Promise<LocalBlob[]> {
    const watchdog = new StallWatchdog(this.options.stallTimeoutMs);
    try {
      const signal = AbortSignal.any([watchdog.signal, roundSignal]);
      const status = await this.client.getUploadSession(session.uploadSessionId, { signal });
      const missing = new Set(status.missing.map((sha) => sha.toLowerCase()));
      const stored = blobs.filter((blob) => !missing.has(blob.sha256));
      for (const blob of stored) this.uploaded(blob);
      return blobs.filter((blob) => missing.has(blob.sha256));
    } finally {
      watchdog.dispose();
    }
  }

  private uploaded(blob: LocalBlob): void {
    this.options.progress.addBytes(blob.size);
    this.options.progress.addItem();
    this.options.onUploaded(blob);
  }
}
