// Calls to the server under the retry policy and a stall timeout, counting the retries for the summary and
// saying each one on the progress display.
import type { ProgressDisplay } from './progress.js';
import { withRetry } from '../../client/upload/retry.js';
import type { RetryNotice, RetryPolicy } from '../../client/upload/retry.js';
import { StallWatchdog } from '../../client/upload/stall.js';

export interface RetryingCallOptions {
  retryPolicy: RetryPolicy;
  stallTimeoutMs: number;
  progress: ProgressDisplay;
  /** Ctrl-C: every call and every wait between retries ends with the signal's reason. */
  signal?: AbortSignal;
}

export class RetryingCalls {
  private retried = 0;

  constructor(readonly options: RetryingCallOptions) {}

  get retries(): number {
    return this.retried;
  }

  /** Plain calls get the stall timeout too: an answer that never comes must not hang the command. */
  retrying<T>(what: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { signal } = this.options;
    return withRetry(
      async () => {
        const watchdog = new StallWatchdog(this.options.stallTimeoutMs);
        try {
          return await operation(signal ? AbortSignal.any([watchdog.signal, signal]) : watchdog.signal);
        } finally {
          watchdog.dispose();
        }
      },
      this.options.retryPolicy,
      (notice) => this.noteRetry(what, notice),
      signal,
    );
  }

  /** Counts a retry of any call of the command (transfers included) and says so on the progress display. */
  noteRetry(what: string, notice: RetryNotice): void {
    this.retried++;
    const reason = notice.error instanceof Error ? notice.error.message : String(notice.error);
    const { attempts } = this.options.retryPolicy;
    const delay = (notice.delayMs / 1000).toFixed(1);
    const attempt = `attempt ${notice.attempt + 1}${attempts === undefined ? '' : ` of ${attempts}`}`;
    this.options.progress.note(`retrying ${what} in ${delay} s (${attempt}): ${reason}`);
  }
}
