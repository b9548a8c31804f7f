// Aborts a request that makes no progress for a while: a stuck socket otherwise hangs an upload until the OS gives up.
import { PressCloudNetworkError } from '../errors.js';

export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

export class StallWatchdog {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly timeoutMs: number) {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Progress was made: the clock starts again. */
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      // A network error, so the retry policy treats a stall like a dropped connection.
      this.controller.abort(new PressCloudNetworkError(`no progress for ${this.timeoutMs / 1000} s`));
    }, this.timeoutMs);
    // In Node, a pending watchdog alone must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** Runs `operation` with a signal aborted by `outer` or by a stall of `timeoutMs`; `touch` resets the stall clock. */
export async function withStallTimeout<T>(
  timeoutMs: number,
  outer: AbortSignal | undefined,
  operation: (signal: AbortSignal, touch: () => void) => Promise<T>,
): Promise<T> {
  const watchdog = new StallWatchdog(timeoutMs);
  try {
    return await operation(outer ? AbortSignal.any([watchdog.signal, outer]) : watchdog.signal, () => watchdog.touch());
  } finally {
    watchdog.dispose();
  }
}
