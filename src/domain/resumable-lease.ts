// Who may write a resumable upload: one request at a time per upload in this process (later ones wait
// their turn), and across instances a lease in the metadata store, renewed while held; a request that
// finds another instance's live lease answers 423.
import { AppError } from './errors.js';
import type { ResumableUploadStore } from './ports/resumable-uploads.js';
import { newId } from './tokens.js';

export type LeaseStore = Pick<ResumableUploadStore, 'leaseResumableUpload' | 'releaseResumableUpload'>;

export interface HeldLease {
  readonly id: string;
}

export class UploadLocks {
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: LeaseStore,
    /** How long a lease lasts without renewal: how long an instance killed mid-PATCH blocks the upload. */
    private readonly leaseMs: number,
    private readonly now: () => Date,
  ) {}

  /** Runs `work` on its own in this process; with `lease`, holding the upload's lease (upload_locked if another holds it). */
  exclusive<T>(uploadId: string, lease: boolean, work: (held: HeldLease | undefined) => Promise<T>): Promise<T> {
    const previous = this.turns.get(uploadId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => (lease ? this.withLease(uploadId, work) : work(undefined)));
    const settled = next.catch(() => undefined);
    this.turns.set(uploadId, settled);
    void settled.then(() => {
      if (this.turns.get(uploadId) === settled) this.turns.delete(uploadId);
    });
    return next;
  }

  /** Whether another instance holds the upload's lease now (a HEAD then answers 423 rather than a moving offset). */
  async checkFree(uploadId: string): Promise<void> {
    await this.withLease(uploadId, async () => undefined);
  }

  private async withLease<T>(uploadId: string, work: (held: HeldLease) => Promise<T>): Promise<T> {
    const held = { id: newId('lease_') };
    if (!(await this.take(uploadId, held.id))) throw new AppError('upload_locked');
    const renewal = setInterval(() => void this.take(uploadId, held.id).catch(() => undefined), this.leaseMs / 3);
    renewal.unref();
    try {
      return await work(held);
    } finally {
      clearInterval(renewal);
      await this.store.releaseResumableUpload(uploadId, held.id).catch(() => undefined);
    }
  }

  private take(uploadId: string, leaseId: string): Promise<boolean> {
    const now = this.now();
    return this.store.leaseResumableUpload(uploadId, leaseId, now.toISOString(), new Date(now.getTime() + this.leaseMs).toISOString());
  }
}
