// The transfer step of a push: open a session for a LocalManifest, upload what it lacks, complete it;
// a new session when one expires, and more uploads when completion answers blobs_missing.
import { isPressCloudApiError } from '../../client/errors.js';
import type { CreateUploadSessionResponse } from '../../api/types.js';
import { CliError } from '../cli-error.js';
import { MAX_COMPLETE_ROUNDS, MAX_FRUITLESS_SESSION_RENEWALS } from './constants.js';
import type { LocalBlob, LocalManifest } from './local-manifest.js';
import { counted } from './progress.js';
import type { SessionCalls } from './session-calls.js';
import { BlobUploader } from './uploader.js';

export interface TransferOptions {
  concurrency: number;
}

export interface TransferResult {
  manifestId: string;
  /** The session that completed. */
  uploadSessionId: string;
  /** sha256 of each blob a PUT of this push stored (or found already stored). */
  uploaded: ReadonlySet<string>;
}

export async function transferManifest(calls: SessionCalls, manifest: LocalManifest, options: TransferOptions): Promise<TransferResult> {
  const { progress } = calls.options;
  const uploaded = new Set<string>();
  const uploader = new BlobUploader(calls.client, {
    concurrency: options.concurrency,
    retryPolicy: calls.options.retryPolicy,
    stallTimeoutMs: calls.options.stallTimeoutMs,
    progress,
    onRetry: (what, notice) => calls.noteRetry(what, notice),
    onUploaded: (blob) => uploaded.add(blob.sha256),
  });

  let session = await calls.open(manifest);
  let missing = blobsFor(manifest, session.missing);
  announce(manifest, missing, calls);
  let fruitlessRenewals = 0;
  let completeRounds = 0;
  let uploadedBeforeRound = 0;

  const renewSession = async (): Promise<void> => {
    fruitlessRenewals = uploaded.size > uploadedBeforeRound ? 0 : fruitlessRenewals + 1;
    if (fruitlessRenewals > MAX_FRUITLESS_SESSION_RENEWALS) {
      throw new CliError('the upload session keeps expiring before any blob gets through; raise --session-ttl');
    }
    session = await calls.open(manifest);
    missing = blobsFor(manifest, session.missing);
    progress.note(`the upload session expired; opened a new one, ${counted(missing.length, 'blob')} still missing`);
  };

  for (;;) {
    uploadedBeforeRound = uploaded.size;
    const outcome = await uploader.uploadAll(session, missing);
    if (outcome === 'session_expired') {
      await renewSession();
      continue;
    }
    const current: CreateUploadSessionResponse = session;
    try {
      const completed = await calls.complete(current);
      progress.end();
      return { manifestId: completed.manifest.manifestId, uploadSessionId: current.uploadSessionId, uploaded };
    } catch (err) {
      if (isPressCloudApiError(err, 'session_expired')) {
        await renewSession();
      } else if (isPressCloudApiError(err, 'blobs_missing') && ++completeRounds < MAX_COMPLETE_ROUNDS) {
        missing = blobsFor(manifest, err.missing ?? []);
        progress.note(`the server still misses ${counted(missing.length, 'blob')}; uploading them`);
      } else {
        throw err;
      }
    }
  }
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

/** The local blobs the server named, in its order; a sha256 this push never sent is a server fault. */
export function blobsFor(manifest: LocalManifest, missing: readonly string[]): LocalBlob[] {
  return missing.map((sha) => {
    const blob = manifest.blobs.get(sha.toLowerCase());
    if (!blob) throw new CliError(`the server asked for blob ${sha}, which is not in this push`);
    return blob;
  });
}
