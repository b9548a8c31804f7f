// The session calls of a push (access check, create, complete, abort), each under the retry policy and a stall
// timeout, counting the sessions opened and the retries for the summary.
import type { PressCloudClient } from '../../client/client.js';
import { isPressCloudApiError } from '../../client/errors.js';
import type { CreateUploadSessionResponse } from '../../api/types.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import { ABANDON_TIMEOUT_MS, ACCESS_CHECK_SESSION_ID } from './constants.js';
import { PushInterrupted } from './interrupt.js';
import type { LocalManifest } from './local-manifest.js';
import { RetryingCalls } from '../transfer-common/retrying-calls.js';
import { StallWatchdog } from '../../client/upload/stall.js';
import type { RetryingCallOptions } from '../transfer-common/retrying-calls.js';

export interface SessionCallOptions extends RetryingCallOptions {
  /** expiresInSeconds asked for each session; undefined lets the server choose. */
  sessionTtlSeconds: number | undefined;
}

export type OpenSession = Pick<CreateUploadSessionResponse, 'uploadSessionId' | 'uploadToken'>;

export class SessionCalls extends RetryingCalls {
  private opened = 0;

  constructor(
    readonly client: PressCloudClient,
    override readonly options: SessionCallOptions,
  ) {
    super(options);
  }

  get sessionsOpened(): number {
    return this.opened;
  }

  /**
   * One cheap authenticated request before any hashing: a wrong URL or token should cost a second, not the time
   * it takes to hash a large tree. A made-up session id answers 404 session_not_found once both are right.
   */
  async checkAccess(): Promise<void> {
    const url = this.client.baseUrl;
    try {
      await this.retrying('check of --url and --token', (signal) => this.client.getUploadSession(ACCESS_CHECK_SESSION_ID, { signal }));
    } catch (err) {
      if (isPressCloudApiError(err, 'session_not_found')) return;
      if (isPressCloudApiError(err) && err.status === 404) {
        const root = url.href.replace(/\/v1\/$/, '/');
        const hint =
          root === url.href ? "is --url the server's root, where /docs is?" : `--url is the server's root, without /v1: try ${root}`;
        throw new CliError(`no PressCloud API at ${url.href} (404 ${err.code}); ${hint}`, EXIT_USAGE, { cause: err });
      }
      throw err;
    }
    throw new CliError(`${url.href} answered like no PressCloud server (200 for a session that cannot exist)`, EXIT_USAGE);
  }

  async open(manifest: LocalManifest): Promise<CreateUploadSessionResponse> {
    const session = await this.retrying('session creation', (signal) =>
      this.client.createUploadSession({ files: [...manifest.files], expiresInSeconds: this.options.sessionTtlSeconds }, { signal }),
    );
    this.sessionOpened();
    return session;
  }

  /** Counts a session opened for the summary (the upload core opens those of a transfer). */
  sessionOpened(): void {
    this.opened++;
  }

  abort(session: OpenSession, what = 'abort of the session'): Promise<void> {
    return this.retrying(what, (signal) => this.client.abortUploadSession(session.uploadSessionId, session.uploadToken, { signal }));
  }

  /**
   * After Ctrl-C: one try, briefly, to abort the open session, so the server drops it now rather than at its
   * expiry. Returns the line the user reads either way.
   */
  async abandon(session: OpenSession): Promise<PushInterrupted> {
    const watchdog = new StallWatchdog(Math.min(this.options.stallTimeoutMs, ABANDON_TIMEOUT_MS));
    try {
      await this.client.abortUploadSession(session.uploadSessionId, session.uploadToken, { signal: watchdog.signal });
      return new PushInterrupted('interrupted; the upload session was aborted (blobs already sent stay for the next push)');
    } catch {
      return new PushInterrupted('interrupted; the upload session could not be aborted and will expire on its own');
    } finally {
      watchdog.dispose();
    }
  }
}
