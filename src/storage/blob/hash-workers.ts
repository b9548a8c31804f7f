// SHA-256 on worker threads for large blobs, so hashing overlaps reading the socket and writing the file
// instead of taking turns with them on the event loop. Buffers are transferred there and back, never copied.
import { availableParallelism } from 'node:os';
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
    parentPort.postMessage({ op: 'updated', id: m.id, buffer: m.buffer }, [m.buffer]);
  } else if (m.op === 'digest') {
    const hash = hashes.get(m.id) ?? createHash('sha256');
    hashes.delete(m.id);
    parentPort.postMessage({ op: 'digest', id: m.id, hex: hash.digest('hex') });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  }
});
`;

type Reply = { op: 'updated'; id: number; buffer: ArrayBuffer } | { op: 'digest'; id: number; hex: string };

interface Waiter {
  resolve(reply: Reply): void;
  reject(err: unknown): void;
}

/** One worker; replies come back in the order of the requests, so a FIFO per stream pairs them. */
class HashWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter[]>();
  private failure: unknown;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref(); // an idle hashing thread must not keep a finished process alive
    this.worker.on('message', (reply: Reply) => this.waiting.get(reply.id)?.shift()?.resolve(reply));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the hashing thread exited with code ${code}`)));
  }

  request(id: number, message: object, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<Reply>((resolve, reject) => {
      const queue = this.waiting.get(id) ?? [];
      queue.push({ resolve, reject });
      this.waiting.set(id, queue);
      this.worker.postMessage(message, transfer);
    });
  }

  forget(id: number): void {
    this.waiting.delete(id);
    if (this.failure === undefined) this.worker.postMessage({ op: 'drop', id });
  }

  private fail(err: unknown): void {
    this.failure = err;
    for (const queue of this.waiting.values()) for (const waiter of queue) waiter.reject(err);
    this.waiting.clear();
  }
}

let workers: HashWorker[] | undefined;
let nextStream = 0;

/** A running SHA-256 on a worker thread: update() lends the buffer and gets it back once hashed. */
export class OffloadedHash {
  private readonly id = ++nextStream;
  private readonly worker: HashWorker;

  constructor() {
    // Created on first use: servers that never see a large blob start no threads.
    workers ??= Array.from({ length: Math.max(1, Math.min(2, availableParallelism())) }, () => new HashWorker());
    this.worker = workers[this.id % workers.length] as HashWorker;
  }

  /** Hashes `buffer[0, length)`; the buffer is unusable (detached) until the returned promise gives it back. */
  async update(buffer: Buffer, length: number): Promise<Buffer> {
    const arrayBuffer = buffer.buffer as ArrayBuffer;
    const reply = await this.worker.request(this.id, { op: 'update', id: this.id, buffer: arrayBuffer, length }, [arrayBuffer]);
    if (reply.op !== 'updated') throw new Error('the hashing thread answered out of turn');
    return Buffer.from(reply.buffer);
  }

  /** Lowercase hex; the hash is gone afterwards. */
  async digest(): Promise<string> {
    const reply = await this.worker.request(this.id, { op: 'digest', id: this.id });
    if (reply.op !== 'digest') throw new Error('the hashing thread answered out of turn');
    this.worker.forget(this.id);
    return reply.hex;
  }

  /** Frees the worker's state for a stream given up before digest(). */
  discard(): void {
    this.worker.forget(this.id);
  }
}
