// Downloads blobs into their files with bounded concurrency: each streamed into a temp file beside its target
// while its sha256 is computed, fsync'd, then renamed into place, so a file at its path is always whole.
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { chmod, copyFile, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { PressCloudClient } from '../../client/client.js';
import { PressCloudNetworkError } from '../../client/errors.js';
import { FileTransferError } from '../transfer-common/failure.js';
import { mapWithConcurrency } from '../../client/upload/pool.js';
import type { ProgressDisplay } from '../transfer-common/progress.js';
import { withRetry } from '../../client/upload/retry.js';
import type { RetryingCalls } from '../transfer-common/retrying-calls.js';
import { StallWatchdog } from '../../client/upload/stall.js';
import type { PullBlob } from './manifest-files.js';
import type { PathGuard } from './path-guard.js';
import { tempPathBeside } from './temp-files.js';

export interface DownloaderOptions {
  concurrency: number;
  stallTimeoutMs: number;
  progress: ProgressDisplay;
  /** Stops every download (Ctrl-C); temp files are removed on the way out. */
  signal: AbortSignal;
  /** The paths written executable (0777 less the umask); every other is 0666 less the umask. */
  executable: ReadonlySet<string>;
}

/** What git does on checkout: 0777 or 0666, less the process's umask. */
export function permissionsFor(executable: boolean): number {
  return (executable ? 0o777 : 0o666) & ~process.umask();
}

/** The bytes the server sent are not the blob the manifest names: retrying would not help. */
export class BlobContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobContentError';
  }
}

export class BlobDownloader {
  constructor(
    private readonly client: PressCloudClient,
    private readonly calls: RetryingCalls,
    private readonly guard: PathGuard,
    private readonly options: DownloaderOptions,
  ) {}

  /** The directories files were renamed into, for one fsync each once every file is in place. */
  readonly directoriesWritten = new Set<string>();

  /** Writes every path of every blob; the first failure stops new downloads, aborts those in flight, and is thrown. */
  async downloadAll(blobs: readonly PullBlob[]): Promise<void> {
    const round = new AbortController();
    const signal = AbortSignal.any([round.signal, this.options.signal]);
    // Every download in flight listens to it: the count is bounded by the concurrency.
    setMaxListeners(0, signal);
    await mapWithConcurrency(blobs, this.options.concurrency, async (blob) => {
      try {
        await this.writeBlob(blob, signal);
      } catch (err) {
        if (this.options.signal.aborted) throw this.options.signal.reason;
        if (round.signal.aborted) throw round.signal.reason;
        const failure = new FileTransferError(`downloading ${blob.paths[0]}`, blob.paths[0], err);
        round.abort(failure);
        throw failure;
      }
    });
  }

  private async writeBlob(blob: PullBlob, signal: AbortSignal): Promise<void> {
    const targets = await Promise.all(blob.paths.map((file) => this.guard.prepare(file)));
    const temp = tempPathBeside(targets[0]);
    const copies: string[] = [];
    try {
      // Each attempt has its own stall watchdog, touched by every chunk, so the plain retrying() of the calls won't do.
      await withRetry(
        () => this.downloadTo(blob, temp, signal),
        this.calls.options.retryPolicy,
        (notice) => this.calls.noteRetry(`download of ${blob.paths[0]}`, notice),
        this.options.signal,
      );
      // The other paths of the same bytes are copies of the verified temp file, not more downloads.
      for (const [index, target] of targets.entries()) {
        if (index === 0) continue;
        const copy = tempPathBeside(target);
        copies.push(copy);
        await copyFile(temp, copy);
        await chmod(copy, permissionsFor(this.options.executable.has(blob.paths[index])));
        await syncFile(copy);
        await rename(copy, target);
      }
      await chmod(temp, permissionsFor(this.options.executable.has(blob.paths[0])));
      await rename(temp, targets[0]);
      for (const target of targets) this.directoriesWritten.add(path.dirname(target));
    } finally {
      // After a rename these are gone already; after a failure they must not stay behind.
      await Promise.all([temp, ...copies].map((file) => rm(file, { force: true })));
    }
    this.options.progress.addItem();
  }

  /** One attempt: the body streamed into `temp` (truncated first), hashed on the way, checked, fsync'd. */
  private async downloadTo(blob: PullBlob, temp: string, roundSignal: AbortSignal): Promise<void> {
    const { progress } = this.options;
    const watchdog = new StallWatchdog(this.options.stallTimeoutMs);
    const signal = AbortSignal.any([watchdog.signal, roundSignal]);
    let received = 0;
    let file: FileHandle | undefined;
    try {
      file = await open(temp, 'w');
      const download = await this.client.getBlob(blob.sha256, { signal });
      if (download.size !== blob.size) {
        download.body.destroy();
        throw new BlobContentError(`the server sent ${download.size} bytes for blob ${blob.sha256} of ${blob.size} bytes`);
      }
      const hash = createHash('sha256');
      try {
        for await (const chunk of download.body) {
          const bytes = chunk as Buffer;
          hash.update(bytes);
          await file.write(bytes);
          received += bytes.byteLength;
          progress.addBytes(bytes.byteLength);
          watchdog.touch();
        }
      } catch (err) {
        throw bodyError(err, signal);
      }
      if (received !== blob.size) throw new PressCloudNetworkError(`the body of blob ${blob.sha256} ended after ${received} bytes`);
      if (hash.digest('hex') !== blob.sha256) throw new BlobContentError(`the bytes the server sent do not hash to ${blob.sha256}`);
      await file.sync();
    } catch (err) {
      progress.addBytes(-received);
      throw err;
    } finally {
      watchdog.dispose();
      await file?.close();
    }
  }
}

/** A body cut short is a network failure (retried); a stall or a cancellation keeps the abort's own reason. */
function bodyError(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  const reason = err instanceof Error ? err.message : String(err);
  return new PressCloudNetworkError(`the download broke off: ${reason}`, { cause: err });
}

/** fsync of a file, or of a directory (which makes the renames into it durable). */
export async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
