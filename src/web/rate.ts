// Transfer rate over the last few seconds, so "time left" follows the connection as it is now.

const WINDOW_MS = 5_000;

export class RateMeter {
  private readonly samples: Array<{ at: number; bytes: number }> = [];

  /** Records the running total of bytes at time `at` (ms). */
  record(bytes: number, at: number): void {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[1].at >= WINDOW_MS) this.samples.shift();
  }

  /** Bytes per second, or undefined until there is a second's worth of history. */
  bytesPerSecond(): number | undefined {
    if (this.samples.length < 2) return undefined;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const elapsed = last.at - first.at;
    if (elapsed < 1_000) return undefined;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / elapsed);
  }
}
