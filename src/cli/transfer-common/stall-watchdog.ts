// Aborts a transfer that makes no progress for a while: a stuck socket otherwise hangs a push until the OS gives up.
import { PressCloudNetworkError } from '../../client/errors.js';

export class StallWatchdog {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    this.timer = setTimeout(() => {
      const seconds = timeoutMs / 1000;
      // A network error, so the retry policy treats a stall like a dropped connection.
      this.controller.abort(new PressCloudNetworkError(`no progress for ${seconds} s`));
    }, timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Progress was made: the clock starts again. */
  touch(): void {
    this.timer.refresh();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
