// The store-wide budget of multipart part buffers: every part being filled or sent holds one, so memory stays
// bounded however many large uploads run at once; an upload past the budget waits for a part to finish.

/** Buffers of the usual part size kept for reuse when given back; the rest go to the garbage collector. */
const KEPT_FREE = 4;

export class PartBuffers {
  private used = 0;
  private readonly free: Buffer[] = [];
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly budgetBytes: number,
    private readonly usualSize: number,
  ) {}

  /**
   * A buffer of `size` bytes, once the budget allows (a part larger than the whole budget still goes alone).
   * Rejects with `signal.reason` when the upload ends while waiting.
   */
  async take(size: number, signal: AbortSignal): Promise<Buffer> {
    while (this.used > 0 && this.used + size > this.budgetBytes) await this.released(signal);
    this.used += size;
    return (size === this.usualSize ? this.free.pop() : undefined) ?? Buffer.allocUnsafeSlow(size);
  }

  /** Returns a buffer's share of the budget; `reusable` once nothing (no request still sending it) reads it. */
  give(buffer: Buffer, reusable: boolean): void {
    this.used -= buffer.length;
    if (reusable && buffer.length === this.usualSize && this.free.length < KEPT_FREE) this.free.push(buffer);
    for (const wake of this.waiting) wake();
  }

  private released(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.waiting.delete(wake);
        signal.removeEventListener('abort', onAbort);
      };
      const wake = () => {
        done();
        resolve();
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      this.waiting.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
