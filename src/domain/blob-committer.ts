// Group commit of verified blobs: PUTs that finish while a commit is running wait for the next one and
// share it, so many concurrent small PUTs cost one durable metadata commit instead of one each.
import type { BlobIngester, BlobRecord } from './ports/metadata-store.js';

/** Most blobs recorded in one transaction. */
const MAX_BATCH = 256;

interface Pending {
  readonly record: BlobRecord;
  readonly commitBytes: () => Promise<unknown>;
  resolve(result: { alreadyPresent: boolean }): void;
  reject(err: unknown): void;
}

export class BlobCommitter {
  private queue: Pending[] = [];
  private draining = false;

  constructor(private readonly metadata: BlobIngester) {}

  /** Resolves once the blob's bytes are at their key and its rows are durably committed. */
  commit(record: BlobRecord, commitBytes: () => Promise<unknown>): Promise<{ alreadyPresent: boolean }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, commitBytes, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const results = await this.metadata.commitBlobs(
          batch.map((pending) => pending.record),
          (index) => batch[index].commitBytes(),
        );
        results.forEach((result, index) => ('error' in result ? batch[index].reject(result.error) : batch[index].resolve(result)));
      } catch (err) {
        for (const pending of batch) pending.reject(err);
      }
    }
    this.draining = false;
  }
}
