// Uploads a session's missing blobs: small ones many to a request (the batch endpoint), big ones one PUT each,
// a few requests at a time, each retried; a blob that still fails is reported with the API's message.
import { PressCloudApiError, PressCloudNetworkError } from '../client/errors.js';
import type { PutBlobResponse, UploadBlobsResponse } from '../api/types.js';
import type { PageApi, SessionCredentials } from './api.js';
import { withRetry } from './retry.js';
import { transfer } from './transfer.js';

/** Up to this size a blob travels in a batch; above it, alone in a PUT that streams it from disk. */
const BATCH_BLOB_MAX_BYTES = 1 << 20;
/** A batch closes at this many parts or bytes, far below the server's defaults (1,000 parts, 256 MiB). */
const BATCH_MAX_PARTS = 100;
const BATCH_MAX_BYTES = 8 << 20;
/** Requests in flight: browsers open six connections per host over HTTP/1.1; this leaves room for the rest. */
const UPLOAD_CONCURRENCY = 4;

export interface BlobToUpload {
  readonly sha256: string;
  readonly size: number;
  readonly file: File;
  /** The first manifest path naming this blob, for messages. */
  readonly path: string;
}

export interface UploadEvents {
  /** Bytes sent (negative when an attempt failed and its bytes will be sent again). */
  onBytes(delta: number): void;
  onUploaded(blob: BlobToUpload): void;
  onFailed(blob: BlobToUpload, message: string): void;
}

/** These concern the whole session (or the token): no other blob of it can get through either. */
const SESSION_ERRORS = new Set([
  'unauthenticated',
  'invalid_token',
  'forbidden',
  'session_not_found',
  'invalid_upload_token',
  'session_expired',
  'session_not_open',
]);

function isSessionError(err: unknown): err is PressCloudApiError {
  return err instanceof PressCloudApiError && SESSION_ERRORS.has(err.code);
}

type Task = { kind: 'put'; blob: BlobToUpload } | { kind: 'batch'; blobs: BlobToUpload[] };

export async function uploadBlobs(
  api: PageApi,
  session: SessionCredentials,
  blobs: readonly BlobToUpload[],
  events: UploadEvents,
  signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted();
  const tasks = plan(blobs);
  // One blob's session error (expired, aborted elsewhere, token revoked) stops the others too.
  const round = new AbortController();
  const stop = () => round.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  const upload = new SessionUpload(api, session, events, round.signal);
  let fatal: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length && !round.signal.aborted) {
      const task = tasks[next++];
      try {
        if (task.kind === 'put') await upload.put(task.blob);
        else await upload.batch(task.blobs);
      } catch (err) {
        if (!round.signal.aborted) {
          fatal = err;
          round.abort(err);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, tasks.length) }, worker));
  } finally {
    signal.removeEventListener('abort', stop);
  }
  signal.throwIfAborted();
  if (fatal !== undefined) throw fatal;
}

/** Biggest first, so the long transfers start at once and the small ones fill in around them. */
function plan(blobs: readonly BlobToUpload[]): Task[] {
  const tasks: Task[] = [];
  let batch: BlobToUpload[] = [];
  let batchBytes = 0;
  for (const blob of [...blobs].sort((a, b) => b.size - a.size)) {
    if (blob.size > BATCH_BLOB_MAX_BYTES) {
      tasks.push({ kind: 'put', blob });
      continue;
    }
    if (batch.length === BATCH_MAX_PARTS || batchBytes + blob.size > BATCH_MAX_BYTES) {
      tasks.push({ kind: 'batch', blobs: batch });
      batch = [];
      batchBytes = 0;
    }
    batch.push(blob);
    batchBytes += blob.size;
  }
  if (batch.length > 0) tasks.push({ kind: 'batch', blobs: batch });
  return tasks;
}

class SessionUpload {
  constructor(
    private readonly api: PageApi,
    private readonly session: SessionCredentials,
    private readonly events: UploadEvents,
    private readonly signal: AbortSignal,
  ) {}

  async put(blob: BlobToUpload): Promise<void> {
    try {
      await withRetry(
        () =>
          this.counted(blob.size, (onSent) =>
            transfer<PutBlobResponse>({
              method: 'PUT',
              url: `/v1/upload-sessions/${encodeURIComponent(this.session.uploadSessionId)}/blobs/${blob.sha256}`,
              // Without it the browser would send the File's own type, which the API refuses.
              headers: { ...this.api.headers(this.session.uploadToken), 'content-type': 'application/octet-stream' },
              body: blob.file,
              signal: this.signal,
              onSent: (loaded) => onSent(loaded),
            }),
          ),
        this.signal,
      );
      this.events.onUploaded(blob);
    } catch (err) {
      await this.failed(blob, err);
    }
  }

  /** A part that failed on the server's side (5xx) goes again in a PUT of its own, with that PUT's retries. */
  async batch(blobs: readonly BlobToUpload[]): Promise<void> {
    let answer: UploadBlobsResponse;
    try {
      answer = await withRetry(() => this.sendBatch(blobs), this.signal);
    } catch (err) {
      if (err instanceof PressCloudApiError && err.code === 'payload_too_large') {
        // This server's batch limits are lower than ours: the same blobs, one PUT each.
        for (const blob of blobs) await this.put(blob);
        return;
      }
      for (const blob of blobs) await this.failed(blob, err);
      return;
    }
    const bySha = new Map(blobs.map((blob) => [blob.sha256, blob]));
    for (const result of answer.results) {
      const blob = bySha.get(result.sha256);
      if (!blob) continue;
      if (result.status === 200) this.events.onUploaded(blob);
      else if (result.status >= 500) await this.put(blob);
      else this.events.onFailed(blob, 'message' in result ? result.message : `The server answered ${result.status}.`);
    }
  }

  private sendBatch(blobs: readonly BlobToUpload[]): Promise<UploadBlobsResponse> {
    const form = new FormData();
    // The part's name is the sha256; its filename and type are ignored by the API.
    for (const blob of blobs) form.append(blob.sha256, blob.file, 'blob');
    const payload = blobs.reduce((sum, blob) => sum + blob.size, 0);
    return this.counted(payload, (onSent) =>
      transfer<UploadBlobsResponse>({
        method: 'POST',
        url: `/v1/upload-sessions/${encodeURIComponent(this.session.uploadSessionId)}/blobs`,
        headers: this.api.headers(this.session.uploadToken),
        body: form,
        signal: this.signal,
        // The multipart framing counts in `total`: progress is the payload's share of it.
        onSent: (loaded, total) => onSent(total > 0 ? Math.round((loaded / total) * payload) : 0),
      }),
    );
  }

  /** Reports the bytes of one attempt as they go, and takes them back if the attempt fails. */
  private async counted<T>(bytes: number, send: (onSent: (sentSoFar: number) => void) => Promise<T>): Promise<T> {
    let reported = 0;
    const onSent = (sentSoFar: number) => {
      const now = Math.min(sentSoFar, bytes);
      this.events.onBytes(now - reported);
      reported = now;
    };
    try {
      const result = await send(onSent);
      onSent(bytes);
      return result;
    } catch (err) {
      this.events.onBytes(-reported);
      throw err;
    }
  }

  private async failed(blob: BlobToUpload, err: unknown): Promise<void> {
    if (this.signal.aborted || isSessionError(err)) throw err;
    if (err instanceof PressCloudNetworkError && !(await readable(blob.file))) {
      this.events.onFailed(blob, 'The file could not be read: it changed or was removed after it was picked.');
    } else {
      this.events.onFailed(blob, err instanceof Error ? err.message : String(err));
    }
  }
}

async function readable(file: File): Promise<boolean> {
  try {
    await file.slice(0, 1).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
