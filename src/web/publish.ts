// A publish from the page, as `presscloud push` does it: select and hash the files, open a session, upload what
// the server lacks, complete; a cancel or a failed file aborts the session so nothing is left half done.
import { lookup as mimeOfPath } from 'mime-types';
import { isPressCloudApiError } from '../client/errors.js';
import type { CreateUploadSessionResponse, ManifestFileInput } from '../api/types.js';
import { MAX_COMPLETE_ROUNDS } from '../cli/push/constants.js';
import type { PageApi } from './api.js';
import type { PickedFolder } from './folder.js';
import { selectFiles } from './folder-rules.js';
import type { SkippedFile } from './folder-rules.js';
import type { HashPool } from './hash-pool.js';
import { withRetry } from './retry.js';
import { uploadBlobs } from './uploader.js';
import type { BlobToUpload } from './uploader.js';

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
  const blobsBySha = new Map<string, BlobToUpload>();
  for (const file of hashed) {
    if (blobsBySha.has(file.sha256)) continue;
    blobsBySha.set(file.sha256, { sha256: file.sha256, size: file.size, file: file.file, path: file.path });
  }

  progress.phase = 'starting';
  report();
  const session: CreateUploadSessionResponse = await withRetry(() => api.createUploadSession({ files: manifest }, signal), signal);
  try {
    const firstMissing = blobsFor(session.missing, blobsBySha);
    progress.blobCount = blobsBySha.size;
    progress.blobsAlreadyPresent = blobsBySha.size - firstMissing.length;
    progress.blobsToUpload = firstMissing.length;
    progress.bytesToUpload = firstMissing.reduce((sum, blob) => sum + blob.size, 0);
    const failures: FileFailure[] = [];
    const uploaded = new Set<string>();
    const events = {
      onBytes(delta: number) {
        progress.bytesUploaded += delta;
        report();
      },
      onUploaded(blob: BlobToUpload) {
        if (uploaded.has(blob.sha256)) return;
        uploaded.add(blob.sha256);
        progress.blobsUploaded = uploaded.size;
        report();
      },
      onFailed(blob: BlobToUpload, message: string) {
        const failure = { path: blob.path, message };
        failures.push(failure);
        listener.onFailure(failure);
      },
    };

    let missing = firstMissing;
    for (let round = 1; ; round++) {
      progress.phase = 'uploading';
      report();
      await uploadBlobs(api, session, missing, events, signal);
      if (failures.length > 0) throw new PublishFailedError(failures);
      progress.phase = 'completing';
      report();
      try {
        const completed = await withRetry(() => api.completeUploadSession(session, signal), signal);
        return {
          manifestId: completed.manifest.manifestId,
          previewUrl: completed.manifest.previewUrl,
          fileCount: hashed.length,
          totalBytes: progress.totalBytes,
          blobCount: blobsBySha.size,
          blobsAlreadyPresent: progress.blobsAlreadyPresent,
          blobsUploaded: uploaded.size,
          bytesUploaded: [...uploaded].reduce((sum, sha) => sum + (blobsBySha.get(sha)?.size ?? 0), 0),
          skipped,
        };
      } catch (err) {
        // Blobs can go missing between the upload and the completion (a garbage collection in between): send them again.
        if (!isPressCloudApiError(err, 'blobs_missing') || round >= MAX_COMPLETE_ROUNDS) throw err;
        missing = blobsFor(err.missing ?? [], blobsBySha);
      }
    }
  } catch (err) {
    // A cancel, a failed file or an error: the session is aborted so it holds nothing half done. Best effort: when
    // the server cannot be reached, the session expires on its own.
    await api.abortUploadSession(session).catch(() => undefined);
    throw err;
  }
}

function blobsFor(missing: readonly string[], blobsBySha: ReadonlyMap<string, BlobToUpload>): BlobToUpload[] {
  return missing.map((sha) => {
    const blob = blobsBySha.get(sha.toLowerCase());
    if (!blob) throw new Error(`The server asked for blob ${sha}, which is not in this folder.`);
    return blob;
  });
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
