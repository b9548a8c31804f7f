// The optional worker-thread hashing design (PRESSCLOUD_HASH_WORKERS > 0), kept so it can be A/B'd against the
// inline default. Batches live in shared memory: a worker hashes a batch while the file write reads the same bytes.
import { Worker } from 'node:worker_threads';

// Inline (eval) so that the same code runs from dist/ and from the TypeScript sources under test.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let hash = hashes.get(m.id);
    if (!hash) hashes.set(m.id, (hash = createHash('sha256')));
    hash.update(new Uint8Array(m.buffer, 0, m.length));
    parentPort.postMessage({ op: 'updated', id: m.id });
  } else if (m.op === 'digest') {
    const hash = hashes.get(m.id) ?? createHash('sha256');
    hashes.delete(m.id);
    parentPort.postMessage({ op: 'digest', id: m.id, hex: hash.digest('hex') });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  }
});
`;

type Reply = { op: 'updated'; id: number } | { op: 'digest'; id: number; hex: string };

interface Waiter {
  resolve(reply: Reply): void;
  reject(err: unknown): void;
}

/** One thread; replies come back in the order of the requests, so a FIFO per stream pairs them. */
class HashWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter[]>();
  failure: unknown;
  streams = 0;

  constructor(onFailure: (failed: HashWorker) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref(); // an idle hashing thread must not keep a finished process alive
    this.worker.on('message', (reply: Reply) => this.waiting.get(reply.id)?.shift()?.resolve(reply));
    const fail = (err: unknown) => {
      if (this.failure !== undefined) return;
      this.failure = err;
      for (const queue of this.waiting.values()) for (const waiter of queue) waiter.reject(err);
      this.waiting.clear();
      onFailure(this);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the hashing thread exited with code ${code}`)));
  }

  request(id: number, message: object): Promise<Reply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<Reply>((resolve, reject) => {
      const queue = this.waiting.get(id) ?? [];
      queue.push({ resolve, reject });
      this.waiting.set(id, queue);
      this.worker.postMessage(message);
    });
  }

  forget(id: number): void {
    this.waiting.delete(id);
    this.streams -= 1;
    if (this.failure === undefined) this.worker.postMessage({ op: 'drop', id });
  }

  terminate(): Promise<number> {
    this.failure ??= new Error('the hashing pool was closed');
    return this.worker.terminate();
  }
}

/**
 * A fixed number of hashing threads, started on first use and ended by close(). A thread that fails fails
 * only the streams it was hashing; it is replaced at once, so later uploads are unaffected.
 */
export class HashWorkerPool {
  private workers: HashWorker[] = [];
  private nextStream = 0;
  private closed = false;

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`A hashing pool needs at least one thread, not ${size}.`);
  }

  /** A new running SHA-256, pinned to the least busy thread so its batches are hashed in order. */
  stream(): SharedHash {
    if (this.closed) throw new Error('the hashing pool is closed');
    if (this.workers.length === 0) this.workers = Array.from({ length: this.size }, () => this.startWorker());
    const worker = this.workers.reduce((least, candidate) => (candidate.streams < least.streams ? candidate : least));
    worker.streams += 1;
    return new SharedHash(worker, ++this.nextStream);
  }

  /** Threads currently running (0 before first use and after close). */
  get running(): number {
    return this.workers.filter((worker) => worker.failure === undefined).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private startWorker(): HashWorker {
    return new HashWorker((failed) => {
      const at = this.workers.indexOf(failed);
      if (at !== -1 && !this.closed) this.workers[at] = this.startWorker();
    });
  }
}

/** A running SHA-256 on a worker thread over batches in shared memory, which stay readable while hashed. */
export class SharedHash {
  private done = false;

  constructor(
    private readonly worker: HashWorker,
    private readonly id: number,
  ) {}

  /** Hashes `batch[0, length)`; `batch` must be backed by a SharedArrayBuffer and left unchanged until this resolves. */
  async update(batch: Buffer, length: number): Promise<void> {
    if (!(batch.buffer instanceof SharedArrayBuffer) || batch.byteOffset !== 0) {
      throw new TypeError('a batch hashed on a worker must start a SharedArrayBuffer');
    }
    await this.worker.request(this.id, { op: 'update', id: this.id, buffer: batch.buffer, length });
  }

  /** Lowercase hex; the stream is finished afterwards. */
  async digest(): Promise<string> {
    const reply = await this.worker.request(this.id, { op: 'digest', id: this.id });
    if (reply.op !== 'digest') throw new Error('the hashing thread answered out of turn');
    this.release();
    return reply.hex;
  }

  /** Frees the thread's state for a stream given up before digest(); repeatable. */
  release(): void {
    if (this.done) return;
    this.done = true;
    this.worker.forget(this.id);
  }
}

/** A batch buffer the worker can read without a copy or a transfer. */
export function sharedBatch(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}
