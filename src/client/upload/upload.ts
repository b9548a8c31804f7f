// The upload core's entry point: open a session for a manifest, upload what it lacks, complete it; a new session
// when one expires, more uploads when completion answers blobs_missing, and the session aborted on a cancel (kept
// open when a resumable upload in it has bytes on the server, so that a later run resumes it).
import type { CreateUploadSessionResponse, ManifestFileInput } from '../../api/types.js';
import { isPressCloudApiError } from '../errors.js';
import type { UploadBlob } from './api.js';
import { UploadContext } from './context.js';
import type { UploadOptions } from './context.js';
import { SessionKeepsExpiringError, UploadInterruptedError } from './errors.js';
import { uploadRound } from './round.js';
import { withRetry } from './retry.js';

/** Fresh sessions opened in a row without uploading anything before giving up (the TTL is too short to make progress). */
export const MAX_FRUITLESS_SESSION_RENEWALS = 3;
/** Rounds of "complete answered blobs_missing, upload those" before giving up. */
export const MAX_COMPLETE_ROUNDS = 5;
/** How long a cancelled upload waits for the abort of its session before leaving it to expire. */
export const ABANDON_TIMEOUT_MS = 5000;

export interface UploadResult {
  manifestId: string;
  /** The manifest's preview site. */
  previewUrl: string;
  uploadSessionId: string;
  /** sha256 of each blob this upload stored (or found stored after a request broke off). */
  uploaded: ReadonlySet<string>;
  sessionsOpened: number;
  retries: number;
}

/**
 * Uploads the manifest `files` whose bytes are `blobs` (each distinct blob once, keyed by lowercase sha256).
 * Rejects with BlobUploadFailedError, SessionKeepsExpiringError, UploadInterruptedError (the signal aborted), or
 * the error of a session call that no retry fixed.
 */
export async function uploadManifest<B extends UploadBlob>(
  files: readonly ManifestFileInput[],
  blobs: ReadonlyMap<string, B>,
  options: UploadOptions<B>,
): Promise<UploadResult> {
  const context = new UploadContext(options);
  const run = new SessionLoop(context, files, blobs);
  try {
    return await run.run();
  } catch (err) {
    const { signal } = options;
    if (signal?.aborted) throw new UploadInterruptedError(signal.reason, run.session ? await run.abandon() : 'none');
    if (options.abortSessionOnFailure && run.session) await run.abandon();
    throw err;
  }
}

class SessionLoop<B extends UploadBlob> {
  session: CreateUploadSessionResponse | undefined;
  sessionsOpened = 0;
  private fruitlessRenewals = 0;
  private storedBeforeRound = 0;

  constructor(
    private readonly context: UploadContext<B>,
    private readonly files: readonly ManifestFileInput[],
    private readonly blobs: ReadonlyMap<string, B>,
  ) {}

  async run(): Promise<UploadResult> {
    const { context } = this;
    let missing = await this.open(false);
    for (let completeRounds = 0; ; ) {
      this.storedBeforeRound = context.stored.size;
      if ((await uploadRound(context, this.sessionOf(), missing)) === 'session_expired') {
        missing = await this.renew();
        continue;
      }
      try {
        const completed = await this.call('completion', (signal) =>
          context.options.api.completeUploadSession(this.sessionOf(), { signal }),
        );
        return {
          manifestId: completed.manifest.manifestId,
          previewUrl: completed.manifest.previewUrl,
          uploadSessionId: this.sessionOf().uploadSessionId,
          uploaded: context.stored,
          sessionsOpened: this.sessionsOpened,
          retries: context.retries,
        };
      } catch (err) {
        if (isPressCloudApiError(err, 'session_expired')) {
          missing = await this.renew();
        } else if (isPressCloudApiError(err, 'blobs_missing') && ++completeRounds < MAX_COMPLETE_ROUNDS) {
          missing = this.blobsFor(err.missing ?? []);
          context.events.onStillMissing?.(missing);
        } else {
          throw err;
        }
      }
    }
  }

  /** Once, briefly: the server drops the session now rather than at its expiry; unless a resumable upload in it should live on. */
  async abandon(): Promise<'aborted' | 'left' | 'kept'> {
    const session = this.sessionOf();
    if (this.context.options.resumable?.keepsSession?.(session)) return 'kept';
    try {
      await this.context.options.api.abortUploadSession(session, { signal: AbortSignal.timeout(ABANDON_TIMEOUT_MS) });
      return 'aborted';
    } catch {
      return 'left';
    }
  }

  private sessionOf(): CreateUploadSessionResponse {
    if (!this.session) throw new Error('no upload session is open');
    return this.session;
  }

  private async open(renewal: boolean): Promise<B[]> {
    const { options } = this.context;
    const request = { files: [...this.files], expiresInSeconds: options.sessionTtlSeconds, label: options.label };
    this.session = await this.call('session creation', (signal) => options.api.createUploadSession(request, { signal }));
    this.sessionsOpened++;
    const missing = this.blobsFor(this.session.missing);
    this.context.events.onSessionOpened?.({ uploadSessionId: this.session.uploadSessionId, missing, renewal });
    return missing;
  }

  /** A new session after the last one expired; its `missing` says what is left. */
  private renew(): Promise<B[]> {
    this.fruitlessRenewals = this.context.stored.size > this.storedBeforeRound ? 0 : this.fruitlessRenewals + 1;
    if (this.fruitlessRenewals > MAX_FRUITLESS_SESSION_RENEWALS) throw new SessionKeepsExpiringError();
    return this.open(true);
  }

  /** Session calls get the stall timeout too: an answer that never comes must not hang the upload. */
  private call<T>(what: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { context } = this;
    const { signal } = context.options;
    return withRetry(
      () => context.withStall(signal, (callSignal) => operation(callSignal)),
      context.retryPolicy,
      (notice) => context.retried(what, notice),
      signal,
    );
  }

  /** The blobs the server named, in its order; a sha256 this upload never announced is a server fault. */
  private blobsFor(missing: readonly string[]): B[] {
    return missing.map((sha) => {
      const blob = this.blobs.get(sha.toLowerCase());
      if (!blob) throw new Error(`the server asked for blob ${sha}, which is not in this upload`);
      return blob;
    });
  }
}
