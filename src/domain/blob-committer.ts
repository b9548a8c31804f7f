// Committing a verified blob: the bytes go to their key outside any transaction, then its rows are
// recorded by group commit (PUTs that finish while a record is running share the next one), so many
// concurrent small PUTs cost one durable metadata commit, and no transaction waits on the blob store.
import type { BlobIngester, BlobRecord, RecordedBlob } from './ports/metadata-store.js';

/** Most blobs recorded in one transaction. */
const MAX_BATCH = 256;

interface Pending {
  readonly blob: RecordedBlob;
  resolve(result: { alreadyPresent: boolean }): void;
  reject(err: unknown): void;
}

export class BlobCommitter {
  private queue: Pending[] = [];
  private draining = false;

  constructor(private readonly metadata: BlobIngester) {}

  /**
   * A blob's first step: runs `commitBytes` (which makes the bytes durable at their key) unless a collection is
   * deleting the blob; the bytes are not recorded yet.
   */
  async place(record: BlobRecord, commitBytes: () => Promise<unknown>): Promise<RecordedBlob> {
    const ticket = await this.metadata.startBlobCommit(record.sha256);
    await commitBytes();
    return { ...record, ticket };
  }

  /**
   * The second step, resolved once the rows are durably committed: blobs placed together and recorded in one tick share one group commit (up to
   * MAX_BATCH), and of several entries for one tenant and blob the first recorded is the one new to it.
   */
  record(blob: RecordedBlob): Promise<{ alreadyPresent: boolean }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ blob, resolve, reject });
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
        const results = await this.metadata.recordBlobs(batch.map((pending) => pending.blob));
        for (const [index, result] of results.entries()) {
          if ('error' in result) batch[index].reject(result.error);
          else batch[index].resolve(result);
        }
      } catch (err) {
        for (const pending of batch) pending.reject(err);
      }
    }
    this.draining = false;
  }
}
