// Writes a body to an open file while verifying it, bounded in memory, and fdatasyncs it only once verified.
// Small blobs hash on the event loop; large ones on a worker thread (hash-workers.ts) in a hash → write pipeline.
import type { FileHandle } from 'node:fs/promises';
import type { BlobVerifier } from '../../domain/blob-verifier.js';
import { OffloadedHash } from './hash-workers.js';

/** Chunks are gathered into writes of about this size: fewer syscalls, and hashing overlaps the disk. */
const WRITE_BATCH_BYTES = 512 * 1024;
const MAX_WRITES_IN_FLIGHT = 2;
/** From this expected size on, the hash runs on a worker: below it, a thread hop costs more than it saves. */
const OFFLOAD_MIN_BYTES = 4 * 1024 * 1024;
/** Batch buffers per offloaded upload: one filling, the others being hashed or written. */
const OFFLOAD_BATCHES = 3;

export async function writeVerified(handle: FileHandle, body: AsyncIterable<Buffer>, verifier: BlobVerifier): Promise<void> {
  if (verifier.expected.size >= OFFLOAD_MIN_BYTES) await writeOffloaded(handle, body, verifier);
  else await writeInline(handle, body, verifier);
  await handle.datasync();
}

/**
 * A set of running writes. The first failure is kept and thrown by every later wait: a write that fails while
 * nobody is waiting on it must still fail the upload (the file would have a hole where its bytes belong).
 */
class InFlight {
  readonly running = new Set<Promise<unknown>>();
  private failed = false;
  private failure: unknown;

  track(operation: Promise<unknown>): void {
    const tracked: Promise<unknown> = operation.then(
      () => this.running.delete(tracked),
      (err: unknown) => {
        this.running.delete(tracked);
        if (!this.failed) [this.failed, this.failure] = [true, err];
      },
    );
    this.running.add(tracked);
  }

  async atMost(count: number): Promise<void> {
    this.rethrow();
    while (this.running.size > count) {
      await Promise.race(this.running);
      this.rethrow();
    }
  }

  private rethrow(): void {
    if (this.failed) throw this.failure;
  }

  settled(): Promise<unknown> {
    return Promise.allSettled(this.running);
  }
}

async function writeInline(handle: FileHandle, body: AsyncIterable<Buffer>, verifier: BlobVerifier): Promise<void> {
  const inFlight = new InFlight();
  try {
    let position = 0;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = async (): Promise<void> => {
      if (batchBytes === 0) return;
      inFlight.track(handle.writev(batch, position));
      position += batchBytes;
      batch = [];
      batchBytes = 0;
      await inFlight.atMost(MAX_WRITES_IN_FLIGHT - 1);
    };
    for await (const chunk of body) {
      verifier.update(chunk);
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= WRITE_BATCH_BYTES) await flush();
    }
    await flush();
    await inFlight.atMost(0);
    verifier.verify();
  } finally {
    await inFlight.settled();
  }
}

/**
 * Socket chunks are copied into batch buffers of our own (whole ArrayBuffers, so they can be transferred);
 * each full batch goes to the hashing thread, then to the file, then back to the free list. The hash sees the
 * batches in order (one thread per stream, messages in order); the writes carry their own positions.
 */
async function writeOffloaded(handle: FileHandle, body: AsyncIterable<Buffer>, verifier: BlobVerifier): Promise<void> {
  const hash = new OffloadedHash();
  const free: Buffer[] = [];
  let allocated = 0;
  const inFlight = new InFlight();
  let digested = false;
  try {
    let position = 0;
    let batch: Buffer | undefined;
    let filled = 0;
    const take = async (): Promise<Buffer> => {
      if (free.length === 0 && allocated < OFFLOAD_BATCHES) {
        allocated += 1;
        return Buffer.allocUnsafeSlow(WRITE_BATCH_BYTES);
      }
      while (free.length === 0) await inFlight.atMost(inFlight.running.size - 1);
      return free.pop() as Buffer;
    };
    const send = (full: Buffer, length: number): void => {
      const at = position;
      position += length;
      inFlight.track(
        hash.update(full, length).then(async (back) => {
          await handle.write(back, 0, length, at);
          free.push(back);
        }),
      );
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
    await inFlight.atMost(0);
    digested = true;
    verifier.verifyDigest(await hash.digest());
  } finally {
    await inFlight.settled();
    if (!digested) hash.discard();
  }
}
