// The session calls of a push (access check, create, complete, abort), each under the retry policy and a stall
// timeout, counting the sessions opened and the retries for the summary.
import type { PressCloudClient } from '../../client/client.js';
import type { CreateUploadSessionResponse } from '../../api/types.js';
import { ABANDON_TIMEOUT_MS } from './constants.js';
import { PushInterrupted } from './interrupt.js';
import type { LocalManifest } from './local-manifest.js';
import { RetryingCalls } from '../transfer-common/retrying-calls.js';
import { checkServer } from '../transfer-common/server-check.js';
import { StallWatchdog } from '../../client/upload/stall.js';
import type { RetryingCallOptions } from '../transfer-common/retrying-calls.js';

export interface SessionCallOptions extends RetryingCallOptions {
  /** expiresInSeconds asked for each session; undefined lets the server choose. */
  sessionTtlSeconds: number | undefined;
  /** The manifest's label, sent with each session. */
  label?: string;
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

  /** The URL and token, checked before any hashing (server-check.ts). */
  async checkAccess(): Promise<void> {
    await checkServer(this.client, this, 'upload');
  }

  async open(manifest: LocalManifest): Promise<CreateUploadSessionResponse> {
    const session = await this.retrying('session creation', (signal) =>
      this.client.createUploadSession(
        { files: [...manifest.files], expiresInSeconds: this.options.sessionTtlSeconds, label: this.options.label },
        { signal },
      ),
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
