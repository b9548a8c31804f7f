// How one blob of a session is received and stored, shared by the seed's PUT and the batch POST: a small blob
// is read into memory while hashed and goes into the database with its rows (no file at all); a larger one is
// verified as it streams into the store's staging. Either way it is committed through the group committer.
import type { BlobStore, StagedBlob } from './ports/blob-store.js';
import type { BlobIngester } from './ports/metadata-store.js';
import { blobKey } from './blob-key.js';
import { BlobCommitter } from './blob-committer.js';
import { readVerified, verifyWithoutStoring } from './blob-verifier.js';
import { SNIFF_BYTES, sniffMime } from './mime.js';
import type { SessionBlob } from './types.js';

export interface IngestMetrics {
  bytesReceived(bytes: number): void;
  blobStored(bytes: number): void;
  dedupeHit(): void;
}

/** A blob the session names, and whether its tenant already holds it (PutContext's blob and held). */
export interface IngestTarget {
  readonly tenantId: string;
  readonly blob: SessionBlob;
  readonly held: { readonly mime: string | null } | undefined;
}

export interface IngestResult {
  /** The tenant held the blob before (an earlier session, an earlier PUT, or an earlier part of one batch). */
  readonly alreadyPresent: boolean;
  readonly mime: string | null;
}

/**
 * Bytes read in full and verified: in memory (a small blob), or held in the store's staging (a file, memory,
 * a multipart upload); not yet visible at their key.
 */
export interface ReceivedBlob {
  /** Makes the blob visible and recorded, durably; throws storage_unavailable and the store's errors. */
  commit(): Promise<IngestResult>;
  /**
   * commit() in two steps: the bytes durable at their key, then `record()`. Blobs whose record() is called
   * in one tick share one group commit.
   */
  place(): Promise<PlacedBlob>;
  /** Drops the staging copy; always call it, after commit or instead of it. Never throws. */
  discard(): Promise<void>;
}

export interface PlacedBlob {
  record(): Promise<IngestResult>;
}

export class BlobIngest {
  private readonly committer: BlobCommitter;

  constructor(
    private readonly metadata: BlobIngester,
    private readonly blobs: BlobStore,
    private readonly metrics: IngestMetrics,
    private readonly now: () => Date,
  ) {
    this.committer = new BlobCommitter(metadata);
  }

  /**
   * Reads `body` through the verifier into the store's staging (or, when the tenant holds the blob, only
   * verifies it). Throws size_mismatch, digest_mismatch or the store's errors, keeping nothing.
   */
  async receive(target: IngestTarget, body: AsyncIterable<Buffer>): Promise<ReceivedBlob> {
    const { tenantId, blob, held } = target;
    if (held) {
      // Nothing to store, but a 200 still means these bytes hash to the sha256: read and check them.
      await verifyWithoutStoring(countBytes(body, this.metrics), blob);
      const placed: PlacedBlob = {
        record: async () => {
          this.metrics.dedupeHit();
          return { alreadyPresent: true, mime: held.mime ?? blob.mime };
        },
      };
      return { commit: () => placed.record(), place: async () => placed, discard: async () => undefined };
    }

    if (blob.size <= this.metadata.inlineBlobMaxBytes) return this.receiveSmall(target, body);

    const head: Buffer[] = [];
    const staged = await this.blobs.stage(blobKey(blob.sha256), countBytes(body, this.metrics, head), blob);
    return this.receivedOf(tenantId, blob, staged, blob.mime ?? sniffMime(Buffer.concat(head)));
  }

  /**
   * Bytes verified and staged elsewhere (a resumable upload's last PATCH), committed as receive()'s are:
   * `staged` must hold exactly the blob's bytes, checked by the caller.
   */
  async commitStaged(target: IngestTarget, staged: StagedBlob, mime: string | null): Promise<IngestResult> {
    if (target.held) {
      this.metrics.dedupeHit();
      return { alreadyPresent: true, mime: target.held.mime ?? target.blob.mime };
    }
    return this.receivedOf(target.tenantId, target.blob, staged, mime).commit();
  }

  private receivedOf(tenantId: string, blob: SessionBlob, staged: StagedBlob, mime: string | null): ReceivedBlob {
    const place = async (): Promise<PlacedBlob> => {
      let created = false;
      const recorded = await this.committer.place(
        { tenantId, sha256: blob.sha256, size: blob.size, mime, now: this.now().toISOString() },
        async () => {
          created = (await staged.commit()).created;
        },
      );
      return {
        record: async () => {
          const { alreadyPresent } = await this.committer.record(recorded);
          if (created) this.metrics.blobStored(blob.size);
          else this.metrics.dedupeHit();
          return { alreadyPresent, mime };
        },
      };
    };
    return { commit: async () => (await place()).record(), place, discard: () => staged.discard() };
  }

  /** A blob the database keeps: its bytes and rows are made durable by one group commit, nothing touches a file. */
  private async receiveSmall(target: IngestTarget, body: AsyncIterable<Buffer>): Promise<ReceivedBlob> {
    const { tenantId, blob } = target;
    const bytes = await readVerified(countBytes(body, this.metrics), blob);
    const mime = blob.mime ?? sniffMime(bytes.subarray(0, SNIFF_BYTES));
    const placed: PlacedBlob = {
      record: async () => {
        const record = { tenantId, sha256: blob.sha256, size: blob.size, mime, now: this.now().toISOString(), bytes };
        const { alreadyPresent } = await this.committer.record(record);
        if (alreadyPresent) this.metrics.dedupeHit();
        else this.metrics.blobStored(blob.size);
        return { alreadyPresent, mime };
      },
    };
    return { commit: () => placed.record(), place: async () => placed, discard: async () => undefined };
  }

  /** receive() then commit(): the seed PUT's whole store step. */
  async store(target: IngestTarget, body: AsyncIterable<Buffer>): Promise<IngestResult> {
    const received = await this.receive(target, body);
    let result: IngestResult;
    try {
      result = await received.commit();
    } catch (err) {
      await received.discard();
      throw err;
    }
    // The answer waits for nothing after the commit: the staging copy's removal runs behind it (it never throws).
    void received.discard();
    return result;
  }
}

/** Counts the body's bytes for the metrics and, given `head`, keeps its first bytes for sniffing. */
async function* countBytes(body: AsyncIterable<Buffer>, metrics: IngestMetrics, head?: Buffer[]): AsyncIterable<Buffer> {
  let kept = 0;
  for await (const chunk of body) {
    metrics.bytesReceived(chunk.length);
    if (head && kept < SNIFF_BYTES) {
      head.push(chunk.subarray(0, SNIFF_BYTES - kept));
      kept += Math.min(chunk.length, SNIFF_BYTES - kept);
    }
    yield chunk;
  }
}
