// The session calls of a push (create, complete, abort), each under the retry policy and a stall timeout,
// counting the sessions opened and the retries for the summary.
import type { PressCloudClient } from '../../client/client.js';
import type { CompleteUploadSessionResponse, CreateUploadSessionResponse } from '../../api/types.js';
import type { LocalManifest } from './local-manifest.js';
import type { ProgressDisplay } from './progress.js';
import { withRetry } from './retry.js';
import type { RetryNotice, RetryPolicy } from './retry.js';
import { StallWatchdog } from './stall-watchdog.js';

export interface SessionCallOptions {
  retryPolicy: RetryPolicy;
  stallTimeoutMs: number;
  /** expiresInSeconds asked for each session; undefined lets the server choose. */
  sessionTtlSeconds: number | undefined;
  progress: ProgressDisplay;
}

export type OpenSession = Pick<CreateUploadSessionResponse, 'uploadSessionId' | 'uploadToken'>;

export class SessionCalls {
  private opened = 0;
  private retried = 0;

  constructor(
    readonly client: PressCloudClient,
    readonly options: SessionCallOptions,
  ) {}

  get sessionsOpened(): number {
    return this.opened;
  }

  get retries(): number {
    return this.retried;
  }

  async open(manifest: LocalManifest): Promise<CreateUploadSessionResponse> {
    const session = await this.retrying('session creation', (signal) =>
      this.client.createUploadSession({ files: [...manifest.files], expiresInSeconds: this.options.sessionTtlSeconds }, { signal }),
    );
    this.opened++;
    return session;
  }

  complete(session: OpenSession): Promise<CompleteUploadSessionResponse> {
    return this.retrying('completion', (signal) =>
      this.client.completeUploadSession(session.uploadSessionId, session.uploadToken, { signal }),
    );
  }

  abort(session: OpenSession, what = 'abort of the session'): Promise<void> {
    return this.retrying(what, (signal) => this.client.abortUploadSession(session.uploadSessionId, session.uploadToken, { signal }));
  }

  /** Session calls get the stall timeout too: an answer that never comes must not hang the push. */
  retrying<T>(what: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        const watchdog = new StallWatchdog(this.options.stallTimeoutMs);
        try {
          return await operation(watchdog.signal);
        } finally {
          watchdog.dispose();
        }
      },
      this.options.retryPolicy,
      (notice) => this.noteRetry(what, notice),
    );
  }

  /** Counts a retry of any call of the push (blob uploads included) and says so on the progress display. */
  noteRetry(what: string, notice: RetryNotice): void {
    this.retried++;
    const reason = notice.error instanceof Error ? notice.error.message : String(notice.error);
    const attempts = this.options.retryPolicy.attempts;
    const delay = (notice.delayMs / 1000).toFixed(1);
    this.options.progress.note(`retrying ${what} in ${delay} s (attempt ${notice.attempt + 1} of ${attempts}): ${reason}`);
  }
}
