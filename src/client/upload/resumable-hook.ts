// The upload core's `resumable` hook, one for every front-end: big blobs go through tus (resumable.ts) rather than
// one PUT, each upload's URL is kept (by the front-end: a file beside the CLI's hash cache, the page's localStorage)
// as soon as it exists, so a later run resumes from the server's offset instead of from zero, and a cancel leaves
// open a session holding acknowledged bytes rather than throwing them away.
import type { SessionCredentials, UploadBlob } from './api.js';
import type { ResumableUploader } from './context.js';
import { type StoredResumableUpload, uploadResumable } from './resumable.js';

/** Where a front-end keeps each blob's upload between runs. */
export interface KeptUploads<B> {
  read(blob: B): Promise<StoredResumableUpload | undefined>;
  keep(blob: B, upload: StoredResumableUpload): Promise<void>;
  forget(blob: B): Promise<void>;
}

export interface ResumableHookOptions<B> {
  /** The service's root. */
  readonly baseUrl: string;
  readonly apiToken: string;
  /** Blobs of at least this many bytes go through tus. */
  readonly threshold: number;
  readonly kept: KeptUploads<B>;
  /** Bytes per PATCH (the tus client's default otherwise). */
  readonly chunkSize?: number;
  /** Tries of one request before the upload gives up (the core then retries the whole blob). */
  readonly retries?: number;
  readonly fetch?: typeof fetch;
}

export class ResumableHook<B extends UploadBlob> implements ResumableUploader<B> {
  readonly aboveBytes: number;
  /** Unfinished uploads of this run with bytes the server acknowledged: blob sha256 → the upload token of their session. */
  private readonly onServer = new Map<string, string>();

  constructor(private readonly options: ResumableHookOptions<B>) {
    this.aboveBytes = options.threshold - 1;
  }

  /** A cancel leaves `session` open when it holds an unfinished upload of this run with acknowledged bytes. */
  keepsSession(session: SessionCredentials): boolean {
    return [...this.onServer.values()].includes(session.uploadToken);
  }

  /** Uploads (or resumes) one blob into `session`; resolves once the server committed it. */
  async upload(session: SessionCredentials, blob: B, hooks: { signal: AbortSignal; onBytes(delta: number): void }): Promise<void> {
    const { baseUrl, apiToken, kept, chunkSize, retries, fetch } = this.options;
    const resumeFrom = await kept.read(blob);
    // A kept upload may belong to an earlier run's session; it is that session's token the upload goes with.
    let uploadToken = resumeFrom?.uploadToken ?? session.uploadToken;
    // The resumed offset is reported once, as bytes of this blob: a progress bar counts them once.
    let shown = 0;
    await uploadResumable(
      {
        baseUrl,
        apiToken,
        uploadSessionId: session.uploadSessionId,
        uploadToken: session.uploadToken,
        sha256: blob.sha256,
        source: blob.source,
      },
      {
        resumeFrom,
        chunkSize,
        retries,
        fetch,
        signal: hooks.signal,
        onCreated: (upload) => {
          uploadToken = upload.uploadToken;
          return kept.keep(blob, upload);
        },
        onProgress: (offset, size) => {
          hooks.onBytes(offset - shown);
          shown = offset;
          if (offset > 0 && offset < size) this.onServer.set(blob.sha256, uploadToken);
          else this.onServer.delete(blob.sha256);
        },
      },
    );
    this.onServer.delete(blob.sha256);
    await kept.forget(blob);
  }
}
