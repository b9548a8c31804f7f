// Blobs as files under <dataDir>/blobs/<key>: written to <dataDir>/tmp, fsync'd, then linked into place.
import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { sha256OfKey } from '../../domain/blob-key.js';
import { BlobVerifier, type ExpectedBlob } from '../../domain/blob-verifier.js';
import { AppError, isAppError } from '../../domain/errors.js';
import type { BlobStat, BlobStore, ByteRange, ListedBlob, StagedBlob } from '../../domain/ports/blob-store.js';
import { HashWorkerPool } from './hash-workers.js';
import { FsPartialUploads } from './fs-partial-uploads.js';
import { writeVerified } from './verified-file-writer.js';

const OUT_OF_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT']);

export interface FsBlobStoreOptions {
  /** Threads hashing large blobs (verified-file-writer.ts); 0, the default, hashes inline on the event loop. */
  readonly hashWorkers?: number;
  /** Bytes written between background fdatasyncs of an upload's file (verified-file-writer.ts); 0 turns them off. */
  readonly backgroundSyncBytes?: number;
}

export class FsBlobStore implements BlobStore {
  readonly kind = 'fs';
  private readonly blobsDir: string;
  private readonly tmpDir: string;
  private readonly hashPool: HashWorkerPool | undefined;
  private readonly backgroundSyncBytes: number | undefined;

  constructor(dataDir: string, options: FsBlobStoreOptions = {}) {
    this.blobsDir = path.join(dataDir, 'blobs');
    this.tmpDir = path.join(dataDir, 'tmp');
    this.hashPool = options.hashWorkers ? new HashWorkerPool(options.hashWorkers) : undefined;
    this.backgroundSyncBytes = options.backgroundSyncBytes;
  }

  async init(): Promise<void> {
    await this.guard(async () => {
      await fs.mkdir(this.blobsDir, { recursive: true });
      await fs.rm(this.tmpDir, { recursive: true, force: true });
      await fs.mkdir(this.tmpDir, { recursive: true });
    });
  }

  async stage(key: string, body: AsyncIterable<Buffer>, expected: ExpectedBlob): Promise<StagedBlob> {
    const finalPath = this.pathOf(key);
    const tmpPath = path.join(this.tmpDir, `${randomUUID()}.part`);
    const discard = () => fs.rm(tmpPath, { force: true }).catch(() => undefined);
    try {
      await this.guard(() => this.writeVerified(tmpPath, body, new BlobVerifier(expected)));
    } catch (err) {
      await discard();
      throw err;
    }
    return {
      commit: () => this.guard(() => this.commit(tmpPath, finalPath)),
      discard,
    };
  }

  async stat(key: string): Promise<BlobStat | null> {
    try {
      const stats = await fs.stat(this.pathOf(key));
      return { size: stats.size };
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return null;
      throw storageError(err);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(key), fsConstants.O_RDONLY);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw new AppError('blob_not_found');
      throw storageError(err);
    }
    return handle.createReadStream({ start: range?.start, end: range?.end, autoClose: true });
  }

  async delete(key: string): Promise<void> {
    await this.guard(() => fs.rm(this.pathOf(key), { force: true }));
  }

  async *list(): AsyncIterable<ListedBlob> {
    const root = path.join(this.blobsDir, 'sha256');
    for (const first of await readDirOrEmpty(root)) {
      for (const second of await readDirOrEmpty(path.join(root, first))) {
        const dir = path.join(root, first, second);
        for (const name of await readDirOrEmpty(dir)) {
          const key = `sha256/${first}/${second}/${name}`;
          if (sha256OfKey(key) === null) continue;
          const stats = await fs.stat(path.join(dir, name)).catch(() => null);
          if (stats) yield { key, size: stats.size, modifiedAt: stats.mtime };
        }
      }
    }
  }

  /** Writes and removes a probe file: an access check passes for root on a directory it cannot write to. */
  async checkReady(): Promise<void> {
    const probe = path.join(this.tmpDir, `ready-${randomUUID()}.probe`);
    await this.guard(async () => {
      await fs.writeFile(probe, '', { flag: 'wx' });
      await fs.rm(probe);
    });
  }

  async close(): Promise<void> {
    await this.hashPool?.close();
  }

  /** Resumable uploads' partial files, committed through this store's own commit (link, fsync). */
  partialUploads(dataDir: string): FsPartialUploads {
    return new FsPartialUploads(dataDir, (file, key) => this.guard(() => this.commit(file, this.pathOf(key))));
  }

  /** For tests and the crash harness: where a key lives on disk. */
  pathOf(key: string): string {
    if (sha256OfKey(key) === null) throw new Error(`not a blob key: ${key}`);
    return path.join(this.blobsDir, ...key.split('/'));
  }

  private async writeVerified(tmpPath: string, body: AsyncIterable<Buffer>, verifier: BlobVerifier): Promise<void> {
    const handle = await fs.open(tmpPath, 'wx');
    try {
      await writeVerified(handle, body, verifier, { hashPool: this.hashPool, backgroundSyncBytes: this.backgroundSyncBytes });
    } finally {
      await handle.close();
    }
  }

  /** link() never overwrites: an existing key means the blob is already there. */
  private async commit(tmpPath: string, finalPath: string): Promise<{ created: boolean }> {
    const dir = path.dirname(finalPath);
    try {
      await fs.link(tmpPath, finalPath);
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') return { created: false };
      if (errnoOf(err) !== 'ENOENT') throw err;
      // The fan-out directory is new: create it, make its entry in its parent durable, and link again.
      const firstCreated = await fs.mkdir(dir, { recursive: true });
      if (firstCreated !== undefined) {
        for (let created = dir; created.length >= firstCreated.length; created = path.dirname(created))
          await fsyncDir(path.dirname(created));
      }
      try {
        await fs.link(tmpPath, finalPath);
      } catch (again) {
        if (errnoOf(again) === 'EEXIST') return { created: false };
        throw again;
      }
    }
    await fsyncDir(dir);
    return { created: true };
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw storageError(err);
    }
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readDirOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw storageError(err);
  }
}

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** The one place filesystem errors become API errors; verification and abort errors pass through. */
function storageError(err: unknown): unknown {
  if (isAppError(err) || (err instanceof Error && err.name === 'AbortError')) return err;
  const code = errnoOf(err);
  if (code && OUT_OF_SPACE_CODES.has(code)) return new AppError('insufficient_storage', undefined, { cause: err });
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ABORT_ERR') return err;
  return new AppError('storage_unavailable', undefined, { cause: err });
}
