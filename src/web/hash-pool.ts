// The page's side of hashing: a few workers, each given the next file as soon as it answers the last.
import type { HashReply, HashRequest } from './hash-messages.js';

export interface HashedSize {
  readonly sha256: string;
  /** The bytes actually read: the manifest must match them, even if the file changed since it was picked. */
  readonly size: number;
}

interface Job {
  readonly request: HashRequest;
  readonly onBytes: (bytes: number) => void;
  readonly resolve: (result: HashedSize) => void;
  readonly reject: (err: Error) => void;
}

/** Said when a worker's script cannot be fetched: the page itself is there, the server is not. */
export const WORKER_UNREACHABLE = 'The server could not be reached (the page could not load its hashing worker from it).';

export class HashPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  /** Why the last worker stopped: once none is left, every hash fails with it at once instead of waiting forever. */
  private failure: Error | undefined;

  constructor(workerUrl: string, size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(workerUrl, { name: `presscloud-hash-${i}` });
      worker.onmessage = (event: MessageEvent<HashReply>) => this.answer(worker, event.data);
      // A worker script that does not load reports no message: the server it comes from is out of reach.
      worker.onerror = (event) => this.fail(worker, new Error(event.message || WORKER_UNREACHABLE));
      this.idle.push(worker);
    }
  }

  hash(file: File, onBytes: (bytes: number) => void): Promise<HashedSize> {
    return new Promise((resolve, reject) => {
      if (this.failure && this.idle.length === 0 && this.busy.size === 0) return reject(this.failure);
      this.queue.push({ request: { id: this.nextId++, file }, onBytes, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker; hashes still queued or running never settle. */
  terminate(): void {
    for (const worker of [...this.idle, ...this.busy.keys()]) worker.terminate();
    this.idle.length = 0;
    this.busy.clear();
    this.queue.length = 0;
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as Job;
      this.busy.set(worker, job);
      worker.postMessage(job.request);
    }
  }

  private answer(worker: Worker, reply: HashReply): void {
    const job = this.busy.get(worker);
    if (!job || job.request.id !== reply.id) return;
    if (reply.type === 'progress') {
      job.onBytes(reply.bytes);
      return;
    }
    this.busy.delete(worker);
    this.idle.push(worker);
    if (reply.type === 'done') job.resolve({ sha256: reply.sha256, size: reply.size });
    else job.reject(new Error(`${job.request.file.name} could not be hashed: ${reply.message}`));
    this.dispatch();
  }

  private fail(worker: Worker, err: Error): void {
    this.failure = err;
    this.busy.get(worker)?.reject(err);
    this.busy.delete(worker);
    const idleAt = this.idle.indexOf(worker);
    if (idleAt !== -1) this.idle.splice(idleAt, 1);
    worker.terminate();
    // A worker that cannot start will not start later either: fail what is waiting rather than hang.
    if (this.idle.length === 0 && this.busy.size === 0) for (const job of this.queue.splice(0)) job.reject(err);
    else this.dispatch();
  }
}
