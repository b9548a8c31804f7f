// Group commit of verified blobs. A PUT claims its blob, links the bytes into place, then records the
// tenant's presence; claims and records that arrive while one is running share the next transaction,
// so many concurrent small PUTs cost two durable metadata commits per batch instead of one each, and no
// transaction waits on file or object-store I/O.
import type { BlobCommitResult, BlobRecord, MetadataStore } from '../storage/metadata/metadata-store.js';

/** Most blobs in one transaction. */
const MAX_BATCH = 256;

export class BlobCommitter {
  private readonly claims: Batcher<BlobRecord, { readonly error?: unknown }>;
  private readonly records: Batcher<BlobRecord, BlobCommitResult>;

  constructor(metadata: MetadataStore) {
    this.claims = new Batcher((batch) => metadata.claimBlobs(batch));
    this.records = new Batcher((batch) => metadata.recordBlobs(batch));
  }

  /** Resolves once the blob's bytes are at their key and its rows are durably committed. */
  async commit(record: BlobRecord, commitBytes: () => Promise<unknown>): Promise<{ alreadyPresent: boolean }> {
    const claim = await this.claims.add(record);
    if (claim.error) throw claim.error;
    await commitBytes();
    const result = await this.records.add(record);
    if ('error' in result) throw result.error;
    return result;
  }
}

/** Runs `work` on everything added while the previous run was busy, one run at a time. */
class Batcher<T, R> {
  private queue: Array<{ item: T; resolve(result: R): void; reject(err: unknown): void }> = [];
  private draining = false;

  constructor(private readonly work: (batch: T[]) => Promise<R[]>) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
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
        const results = await this.work(batch.map((entry) => entry.item));
        batch.forEach((entry, index) => entry.resolve(results[index]));
      } catch (err) {
        for (const entry of batch) entry.reject(err);
      }
    }
    this.draining = false;
  }
}
