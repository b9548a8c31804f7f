// The transfer step of a push: the upload core (client/upload/) sends the LocalManifest; this front-end renders
// its events on the progress display and turns its failures into the push's own errors.
import { BlobUploadFailedError, SessionKeepsExpiringError, UploadInterruptedError } from '../../client/upload/errors.js';
import type { ResumableUploader } from '../../client/upload/context.js';
import { uploadManifest } from '../../client/upload/upload.js';
import { CliError } from '../cli-error.js';
import { counted, formatBytes } from '../transfer-common/progress.js';
import { BlobUploadError } from './blob-upload-error.js';
import { clientUploadApi } from './client-api.js';
import { PushInterrupted } from './interrupt.js';
import type { LocalBlob, LocalManifest } from './local-manifest.js';
import type { SessionCalls } from './session-calls.js';

export interface TransferOptions {
  concurrency: number;
  /** Big blobs through tus, resumable across runs. */
  resumable?: ResumableUploader<LocalBlob>;
}

export interface TransferResult {
  manifestId: string;
  /** The session that completed; null when none was needed. */
  uploadSessionId: string | null;
  /** sha256 of each blob this push stored (or found already stored). */
  uploaded: ReadonlySet<string>;
}

/** A push that failed after its session opened; its message says what is on the server and that pushing again resumes. */
export class TransferFailed extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'TransferFailed';
  }
}

/**
 * On Ctrl-C (the calls' signal), the core aborts the open session (or keeps it open when a big file's tus upload
 * in it has bytes on the server, for the next push to resume) and this rejects with a PushInterrupted saying so.
 */
export async function transferManifest(calls: SessionCalls, manifest: LocalManifest, options: TransferOptions): Promise<TransferResult> {
  const { progress, signal } = calls.options;
  const stored = new Set<string>();
  let heldBefore: number | undefined;
  try {
    const result = await uploadManifest(manifest.files, manifest.blobs, {
      api: clientUploadApi(calls.client),
      concurrency: options.concurrency,
      retryPolicy: calls.options.retryPolicy,
      stallTimeoutMs: calls.options.stallTimeoutMs,
      sessionTtlSeconds: calls.options.sessionTtlSeconds,
      label: calls.options.label,
      resumable: options.resumable,
      describe: (blob) => blob.path,
      signal,
      events: {
        onSessionOpened: ({ missing, renewal }) => {
          calls.sessionOpened();
          if (renewal) progress.note(`the upload session expired; opened a new one, ${counted(missing.length, 'blob')} still missing`);
          else announce(manifest, missing, calls);
          heldBefore ??= manifest.blobs.size - missing.length;
        },
        onBytes: (delta) => progress.addBytes(delta),
        onUploaded: (blob) => {
          stored.add(blob.sha256);
          progress.addItem();
        },
        onRetry: (what, notice) => calls.noteRetry(what, notice),
        onBatchesRefused: (err) => progress.note(err.message),
        onStillMissing: (blobs) => progress.note(`the server still misses ${counted(blobs.length, 'blob')}; uploading them`),
      },
    });
    progress.end();
    return { manifestId: result.manifestId, uploadSessionId: result.uploadSessionId, uploaded: result.uploaded };
  } catch (err) {
    if (err instanceof UploadInterruptedError) throw interrupted(err);
    if (heldBefore === undefined) throw pushError(err);
    // The live line's summary must not read like success before the failure.
    progress.end('then the push failed');
    throw new TransferFailed(whatIsStored(manifest, heldBefore, stored), pushError(err));
  }
}

function whatIsStored(manifest: LocalManifest, heldBefore: number, stored: ReadonlySet<string>): string {
  const bytes = [...stored].reduce((sum, sha) => sum + (manifest.blobs.get(sha)?.size ?? 0), 0);
  const thisPush = `${stored.size} sent by this push (${formatBytes(bytes)})`;
  const onServer = `${heldBefore + stored.size} of ${counted(manifest.blobs.size, 'blob')} are on the server`;
  return `${onServer}, ${thisPush}; push again to send only the rest`;
}

function interrupted(err: UploadInterruptedError): PushInterrupted {
  if (err.session === 'none') return new PushInterrupted('interrupted; nothing was uploaded');
  if (err.session === 'kept') {
    return new PushInterrupted('interrupted; the upload session stays open with the big files sent so far: pushing again resumes them');
  }
  if (err.session === 'aborted') {
    return new PushInterrupted('interrupted; the upload session was aborted (blobs already sent stay for the next push)');
  }
  return new PushInterrupted('interrupted; the upload session could not be aborted and will expire on its own');
}

/** The core's failures in the push's words: a blob named by its file, a session lifetime named by its flag. */
function pushError(err: unknown): unknown {
  if (err instanceof SessionKeepsExpiringError) return new CliError(`${err.message}; raise --session-ttl`);
  if (err instanceof BlobUploadFailedError) {
    const blobs = err.blobs as readonly LocalBlob[];
    return blobs.length === 1 ? new BlobUploadError(blobs[0], err.cause) : BlobUploadError.ofBatch(blobs, err.cause);
  }
  return err;
}

/** What the first session says before any upload: all there, or how much is left. */
function announce(manifest: LocalManifest, missing: readonly LocalBlob[], calls: SessionCalls): void {
  const { progress } = calls.options;
  const alreadyHeld = manifest.blobs.size - missing.length;
  if (missing.length === 0) {
    progress.note(`nothing to upload: the server already holds all ${counted(alreadyHeld, 'blob')}`);
    return;
  }
  if (alreadyHeld > 0) progress.note(`${alreadyHeld} of ${counted(manifest.blobs.size, 'blob')} already on the server`);
  progress.start(
    'uploading',
    'blob',
    missing.length,
    missing.reduce((sum, blob) => sum + blob.size, 0),
  );
}
