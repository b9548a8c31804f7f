// Writes a body to an open file while verifying it, bounded in memory, and fdatasyncs it only once verified.
// Each chunk is hashed on the event loop as it arrives while earlier batches are being written; write-back
// starts in the background as the file grows, so the final fdatasync has little left to flush.
import type { FileHandle } from 'node:fs/promises';
import type { BlobVerifier } from '../../domain/blob-verifier.js';
import { type HashWorkerPool, sharedBatch } from './hash-workers.js';

/** Chunks are gathered into writes of about this size: fewer syscalls, and each write overlaps the next hashing. */
const WRITE_BATCH_BYTES = 512 * 1024;
/**
 * Writes queued per upload (8 × 512 KiB = 4 MiB): the socket keeps being read while the disk catches up from a
 * stall, and 16 concurrent uploads hold at most 64 MiB of batches.
 */
const MAX_WRITES_IN_FLIGHT = 8;
/** After this many bytes written since the last one, a background fdatasync starts (if none is running). */
export const DEFAULT_BACKGROUND_SYNC_BYTES = 64 * 1024 * 1024;
/**
 * Background syncs running in the whole process: each holds one of libuv's four pool threads for as long as
 * the flush takes, and the writes of every upload need those threads too.
 */
const MAX_BACKGROUND_SYNCS = 1;
let backgroundSyncs = 0;

export interface VerifiedWriteOptions {
  /** Hash on these worker threads instead of inline (the A/B alternative). */
  readonly hashPool?: HashWorkerPool;
  /** Bytes written between background fdatasyncs; 0 leaves all the flushing to the final one. */
  readonly backgroundSyncBytes?: number;
}

export async function writeVerified(
  handle: FileHandle,
  body: AsyncIterable<Buffer>,
  verifier: BlobVerifier,
  { hashPool, backgroundSyncBytes = DEFAULT_BACKGROUND_SYNC_BYTES }: VerifiedWriteOptions = {},
): Promise<void> {
  const file = new FileWrites(handle, backgroundSyncBytes);
  try {
    if (hashPool === undefined) await writeHashingInline(file, body, verifier);
    else await writeHashingOnWorkers(file, body, verifier, hashPool);
  } finally {
    await file.settled();
  }
  await handle.datasync();
}

/**
 * The writes of one file, each at its own position, with a background fdatasync every `syncEvery` bytes.
 * The first failure is kept and thrown by every later wait: a write that fails while nobody is waiting on it
 * must still fail the upload (the file would have a hole where its bytes belong).
 */
class FileWrites {
  private readonly running = new Set<Promise<unknown>>();
  private failure: { err: unknown } | undefined;
  private position = 0;
  private unsynced = 0;
  private sync: Promise<unknown> | undefined;

  constructor(
    private readonly handle: FileHandle,
    private readonly syncEvery: number,
  ) {}

  get queued(): number {
    return this.running.size;
  }

  /** Queues the write of `buffers` (in order) at the end of what was queued so far. */
  write(buffers: Buffer[], length: number): Promise<unknown> {
    const at = this.position;
    this.position += length;
    const written = buffers.length === 1 ? this.handle.write(buffers[0], 0, length, at) : this.handle.writev(buffers, at);
    return this.track(
      written.then(() => {
        this.unsynced += length;
        this.maybeStartSync();
      }),
    );
  }

  /** Tracks `operation` like a write: its failure fails the upload. */
  track<T>(operation: Promise<T>): Promise<T> {
    const tracked: Promise<unknown> = operation.then(
      () => this.running.delete(tracked),
      (err: unknown) => {
        this.running.delete(tracked);
        this.failure ??= { err };
      },
    );
    this.running.add(tracked);
    return operation;
  }

  async atMost(count: number): Promise<void> {
    this.rethrow();
    while (this.running.size > count) {
      await Promise.race(this.running);
      this.rethrow();
    }
  }

  /** Every write done (and the background sync, whose failure is the final fdatasync's to report). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running, this.sync]);
  }

  private maybeStartSync(): void {
    if (this.syncEvery === 0 || this.unsynced < this.syncEvery || this.sync !== undefined || backgroundSyncs >= MAX_BACKGROUND_SYNCS)
      return;
    this.unsynced = 0;
    backgroundSyncs += 1;
    this.sync = this.handle
      .datasync()
      .catch(() => undefined)
      .finally(() => {
        backgroundSyncs -= 1;
        this.sync = undefined;
      });
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.err;
  }
}

/** The default: hash each socket chunk where it is (no copy), then hand the batch to the file. */
async function writeHashingInline(file: FileWrites, body: AsyncIterable<Buffer>, verifier: BlobVerifier): Promise<void> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batchBytes === 0) return;
    file.write(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    if (file.queued >= MAX_WRITES_IN_FLIGHT) await file.atMost(MAX_WRITES_IN_FLIGHT - 1);
  };
  for await (const chunk of body) {
    verifier.update(chunk);
    batch.push(chunk);
    batchBytes += chunk.length;
    if (batchBytes >= WRITE_BATCH_BYTES) await flush();
  }
  await flush();
  await file.atMost(0);
  verifier.verify();
}

/**
 * The A/B alternative: chunks are copied into shared batch buffers; each full batch is hashed on a worker and
 * written to the file at the same time, and goes back to the free list once both are done.
 */
async function writeHashingOnWorkers(
  file: FileWrites,
  body: AsyncIterable<Buffer>,
  verifier: BlobVerifier,
  pool: HashWorkerPool,
): Promise<void> {
  const hash = pool.stream();
  const free: Buffer[] = [];
  let allocated = 0;
  try {
    let batch: Buffer | undefined;
    let filled = 0;
    const take = async (): Promise<Buffer> => {
      if (free.length === 0 && allocated < MAX_WRITES_IN_FLIGHT) {
        allocated += 1;
        return sharedBatch(WRITE_BATCH_BYTES);
      }
      while (free.length === 0) await file.atMost(file.queued - 1);
      return free.pop() as Buffer;
    };
    const send = (full: Buffer, length: number): void => {
      // Hashes reach the worker in batch order; the write carries its own position.
      const hashed = hash.update(full, length);
      const written = file.write([full.subarray(0, length)], length);
      file.track(Promise.all([hashed, written]).then(() => free.push(full)));
    };
    for await (const chunk of body) {
      verifier.count(chunk.length);
      let offset = 0;
      while (offset < chunk.length) {
        batch ??= await take();
        const copied = chunk.copy(batch, filled, offset);
        offset += copied;
        filled += copied;
        if (filled === WRITE_BATCH_BYTES) {
          send(batch, filled);
          batch = undefined;
          filled = 0;
        }
      }
    }
    if (batch && filled > 0) send(batch, filled);
    await file.atMost(0);
    verifier.verifyDigest(await hash.digest());
  } finally {
    await file.settled();
    hash.release();
  }
}
