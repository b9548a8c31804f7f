// A publish from the page, as `presscloud push` does it: select and hash the files, then the upload core
// (client/upload/) opens a session, uploads what the server lacks and completes; a cancel or a failed file aborts
// the session so nothing is left half done.
import { lookup as mimeOfPath } from 'mime-types';
import type { ManifestFileInput } from '../api/types.js';
import { PressCloudApiError, PressCloudNetworkError } from '../client/errors.js';
import { blobSource } from '../client/upload/blob-source.js';
import { BlobUploadFailedError, UploadInterruptedError } from '../client/upload/errors.js';
import { uploadManifest } from '../client/upload/upload.js';
import type { UploadResult } from '../client/upload/upload.js';
import type { PageApi } from './api.js';
import type { PickedFolder } from './folder.js';
import { selectFiles } from './folder-rules.js';
import type { SkippedFile } from './folder-rules.js';
import type { HashPool } from './hash-pool.js';
import { pageResumable } from './resumable.js';
import { pageUploadApi } from './upload-api.js';
import type { PageBlob } from './upload-api.js';

/** Requests in flight: browsers open six connections per host over HTTP/1.1; this leaves room for the rest. */
const UPLOAD_CONCURRENCY = 4;

export type PublishPhase = 'hashing' | 'starting' | 'uploading' | 'completing';

export interface PublishProgress {
  phase: PublishPhase;
  fileCount: number;
  totalBytes: number;
  filesHashed: number;
  bytesHashed: number;
  /** Known once the session is open: distinct blobs, those the server already holds, those to send. */
  blobCount: number;
  blobsAlreadyPresent: number;
  blobsToUpload: number;
  bytesToUpload: number;
  blobsUploaded: number;
  bytesUploaded: number;
  skipped: readonly SkippedFile[];
}

export interface FileFailure {
  readonly path: string;
  readonly message: string;
}

export interface PublishListener {
  /** Once the files are chosen, before any is hashed (and before a folder with none to publish is refused). */
  onSelected(skipped: readonly SkippedFile[]): void;
  onProgress(progress: Readonly<PublishProgress>): void;
  onFailure(failure: FileFailure): void;
}

export interface PublishResult {
  readonly manifestId: string;
  /** The manifest's preview site. */
  readonly previewUrl: string;
  readonly fileCount: number;
  readonly totalBytes: number;
  readonly blobCount: number;
  readonly blobsAlreadyPresent: number;
  readonly blobsUploaded: number;
  readonly bytesUploaded: number;
  readonly skipped: readonly SkippedFile[];
}

/** Some files could not be uploaded; the session was aborted. */
export class PublishFailedError extends Error {
  constructor(readonly failures: readonly FileFailure[]) {
    super(`${failures.length === 1 ? 'One file' : `${failures.length} files`} could not be uploaded, so nothing was published.`);
    this.name = 'PublishFailedError';
  }
}

export async function publishFolder(
  folder: PickedFolder,
  api: PageApi,
  hashes: HashPool,
  listener: PublishListener,
  signal: AbortSignal,
): Promise<PublishResult> {
  const { files: selected, skipped } = await selectFiles(folder.files);
  listener.onSelected(skipped);
  if (selected.length === 0) throw new Error(`${folder.name} has no files to publish.`);
  const progress: PublishProgress = {
    phase: 'hashing',
    fileCount: selected.length,
    totalBytes: selected.reduce((sum, entry) => sum + entry.file.size, 0),
    filesHashed: 0,
    bytesHashed: 0,
    blobCount: 0,
    blobsAlreadyPresent: 0,
    blobsToUpload: 0,
    bytesToUpload: 0,
    blobsUploaded: 0,
    bytesUploaded: 0,
    skipped,
  };
  const report = () => listener.onProgress(progress);
  report();

  const hashed = await abortable(
    Promise.all(
      selected.map(async (entry) => {
        const { sha256, size } = await hashes.hash(entry.file, (bytes) => {
          progress.bytesHashed += bytes;
          report();
        });
        progress.filesHashed++;
        report();
        return { ...entry, sha256, size };
      }),
    ),
    signal,
  );
  // The sizes read win over the ones the picker gave: the manifest must match the bytes.
  progress.totalBytes = hashed.reduce((sum, file) => sum + file.size, 0);
  const manifest: ManifestFileInput[] = hashed.map(({ path, sha256, size }) => {
    // Exactly as `presscloud push` names types (src/cli/push/local-manifest.ts): the same id for the same folder.
    const mime = mimeOfPath(path);
    return mime ? { path, sha256, size, mime } : { path, sha256, size };
  });
  const blobsBySha = new Map<string, PageBlob>();
  for (const file of hashed) {
    if (blobsBySha.has(file.sha256)) continue;
    blobsBySha.set(file.sha256, { sha256: file.sha256, size: file.size, file: file.file, path: file.path, source: blobSource(file.file) });
  }

  progress.phase = 'starting';
  report();
  const uploaded = new Set<string>();
  let result: UploadResult;
  try {
    result = await uploadManifest(manifest, blobsBySha, {
      api: pageUploadApi(api),
      concurrency: UPLOAD_CONCURRENCY,
      describe: (blob) => blob.path,
      // Big files through tus: resumed within the tab, and after a reload when the same folder comes again.
      resumable: pageResumable(api.token),
      // A cancel, a failed file or an error: the session is aborted so it holds nothing half done.
      abortSessionOnFailure: true,
      signal,
      events: {
        onSessionOpened({ missing, renewal }) {
          if (!renewal) {
            progress.blobCount = blobsBySha.size;
            progress.blobsAlreadyPresent = blobsBySha.size - missing.length;
            progress.blobsToUpload = missing.length;
            progress.bytesToUpload = missing.reduce((sum, blob) => sum + blob.size, 0);
          }
          progress.phase = missing.length === 0 ? 'completing' : 'uploading';
          report();
        },
        onBytes(delta) {
          progress.bytesUploaded += delta;
          report();
        },
        onUploaded(blob) {
          uploaded.add(blob.sha256);
          progress.blobsUploaded = uploaded.size;
          // Every blob is in: what is left is the completion.
          if (uploaded.size === progress.blobsToUpload) progress.phase = 'completing';
          report();
        },
      },
    });
  } catch (err) {
    throw publishError(err, listener);
  }
  return {
    manifestId: result.manifestId,
    previewUrl: result.previewUrl,
    fileCount: hashed.length,
    totalBytes: progress.totalBytes,
    blobCount: blobsBySha.size,
    blobsAlreadyPresent: progress.blobsAlreadyPresent,
    blobsUploaded: uploaded.size,
    bytesUploaded: [...uploaded].reduce((sum, sha) => sum + (blobsBySha.get(sha)?.size ?? 0), 0),
    skipped,
  };
}

/** The core's failures in the page's words: a cancel as its reason, a file that failed with the API's message. */
function publishError(err: unknown, listener: PublishListener): unknown {
  if (err instanceof UploadInterruptedError) return err.reason;
  if (!(err instanceof BlobUploadFailedError)) return err;
  const cause = err.cause;
  const message =
    cause instanceof PressCloudApiError || cause instanceof PressCloudNetworkError
      ? cause.message
      : 'The file could not be read: it changed or was removed after it was picked.';
  const failures = (err.blobs as readonly PageBlob[]).map((blob) => ({ path: blob.path, message }));
  for (const failure of failures) listener.onFailure(failure);
  return new PublishFailedError(failures);
}

/** Hashing cannot be interrupted from here (the caller stops the workers): the cancel rejects at once instead. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
