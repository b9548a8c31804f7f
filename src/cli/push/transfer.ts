// The transfer step of a push: open a session for a LocalManifest, upload what it lacks, complete it;
// a new session when one expires, and more uploads when completion answers blobs_missing.
import { isPressCloudApiError } from '../../client/errors.js';
import type { CreateUploadSessionResponse } from '../../api/types.js';
import { CliError } from '../cli-error.js';
import { MAX_COMPLETE_ROUNDS, MAX_FRUITLESS_SESSION_RENEWALS } from './constants.js';
import type { LocalBlob, LocalManifest } from './local-manifest.js';
import { PushInterrupted } from './interrupt.js';
import { counted } from '../transfer-common/progress.js';
import type { SessionCalls } from './session-calls.js';
import type { ResumableBlobs } from './resumable-blob.js';
import { BlobUploader } from './uploader.js';

export interface TransferOptions {
  concurrency: number;
  /** Big blobs through tus, resumable across runs. */
  resumable?: ResumableBlobs;
}

export interface TransferResult {
  manifestId: string;
  /** The session that completed; null when none was needed. */
  uploadSessionId: string | null;
  /** sha256 of each blob a PUT of this push stored (or found already stored). */
  uploaded: ReadonlySet<string>;
}

/** On Ctrl-C (the calls' signal), aborts the session that is open and rejects with a PushInterrupted saying so. */
export async function transferManifest(calls: SessionCalls, manifest: LocalManifest, options: TransferOptions): Promise<TransferResult> {
  const transfer = new Transfer(calls, manifest, options);
  try {
    return await transfer.run();
  } catch (err) {
    if (!calls.options.signal?.aborted) throw err;
    throw transfer.session ? await calls.abandon(transfer.session) : new PushInterrupted('interrupted; nothing was uploaded');
  }
}

class Transfer {
  /** The session open now, if any. */
  session: CreateUploadSessionResponse | undefined;
  private readonly uploaded = new Set<string>();
  private readonly uploader: BlobUploader;
  private fruitlessRenewals = 0;
  private uploadedBeforeRound = 0;

  constructor(
    private readonly calls: SessionCalls,
    private readonly manifest: LocalManifest,
    options: TransferOptions,
  ) {
    this.uploader = new BlobUploader(calls.client, {
      concurrency: options.concurrency,
      retryPolicy: calls.options.retryPolicy,
      stallTimeoutMs: calls.options.stallTimeoutMs,
      progress: calls.options.progress,
      onRetry: (what, notice) => calls.noteRetry(what, notice),
      onUploaded: (blob) => this.uploaded.add(blob.sha256),
      signal: calls.options.signal,
      resumable: options.resumable,
    });
  }

  async run(): Promise<TransferResult> {
    const { progress } = this.calls.options;
    let session = await this.open();
    let missing = blobsFor(this.manifest, session.missing);
    announce(this.manifest, missing, this.calls);
    let completeRounds = 0;
    for (;;) {
      this.uploadedBeforeRound = this.uploaded.size;
      if ((await this.uploader.uploadAll(session, missing)) === 'session_expired') {
        session = await this.renew();
        missing = blobsFor(this.manifest, session.missing);
        continue;
      }
      try {
        const completed = await this.calls.complete(session);
        progress.end();
        return { manifestId: completed.manifest.manifestId, uploadSessionId: session.uploadSessionId, uploaded: this.uploaded };
      } catch (err) {
        if (isPressCloudApiError(err, 'session_expired')) {
          session = await this.renew();
          missing = blobsFor(this.manifest, session.missing);
        } else if (isPressCloudApiError(err, 'blobs_missing') && ++completeRounds < MAX_COMPLETE_ROUNDS) {
          missing = blobsFor(this.manifest, err.missing ?? []);
          progress.note(`the server still misses ${counted(missing.length, 'blob')}; uploading them`);
        } else {
          throw err;
        }
      }
    }
  }

  private async open(): Promise<CreateUploadSessionResponse> {
    this.session = await this.calls.open(this.manifest);
    return this.session;
  }

  /** A new session after the last one expired; its `missing` says what is left. */
  private async renew(): Promise<CreateUploadSessionResponse> {
    this.fruitlessRenewals = this.uploaded.size > this.uploadedBeforeRound ? 0 : this.fruitlessRenewals + 1;
    if (this.fruitlessRenewals > MAX_FRUITLESS_SESSION_RENEWALS) {
      throw new CliError('the upload session keeps expiring before any blob gets through; raise --session-ttl');
    }
    const session = await this.open();
    this.calls.options.progress.note(
      `the upload session expired; opened a new one, ${counted(session.missing.length, 'blob')} still missing`,
    );
    return session;
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
