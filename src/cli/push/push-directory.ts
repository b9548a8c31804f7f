// The push itself: walk, hash, open a session, upload what is missing, complete; renewing an expired session.
import { realpath } from 'node:fs/promises';
import { lookup as mimeOfPath } from 'mime-types';
import { PressCloudClient } from '../../client/client.js';
import { isPressCloudApiError } from '../../client/errors.js';
import type { CreateUploadSessionResponse, ManifestFileInput } from '../../api/types.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import { HASH_CONCURRENCY, MAX_COMPLETE_ROUNDS, MAX_FRUITLESS_SESSION_RENEWALS } from './constants.js';
import { hashFiles } from './hash.js';
import type { HashedFile } from './hash.js';
import { HashCache } from './hash-cache.js';
import { counted, formatBytes } from './progress.js';
import type { ProgressDisplay } from './progress.js';
import { withRetry } from './retry.js';
import type { RetryNotice, RetryPolicy } from './retry.js';
import { StallWatchdog } from './stall-watchdog.js';
import { BlobUploader } from './uploader.js';
import type { BlobToUpload } from './uploader.js';
import { walkDirectory } from './walk.js';

export interface PushOptions {
  directory: string;
  url: string;
  token: string;
  concurrency: number;
  retryPolicy: RetryPolicy;
  stallTimeoutMs: number;
  sessionTtlSeconds: number | undefined;
  progress: ProgressDisplay;
  /** Where the hash cache lives; undefined disables it (`--no-cache`). */
  hashCacheDir: string | undefined;
}

export interface PushSummary {
  manifestId: string;
  uploadSessionId: string;
  fileCount: number;
  blobCount: number;
  totalBytes: number;
  uploadedBlobs: number;
  uploadedBytes: number;
  skippedBlobs: number;
  sessionsOpened: number;
  retries: number;
  durationMs: number;
}

export interface DryRunReport {
  dryRun: true;
  uploadSessionId: string;
  fileCount: number;
  blobCount: number;
  totalBytes: number;
  missingBlobs: number;
  missingBytes: number;
  /** Every file whose content the server lacks. */
  files: ManifestFileInput[];
}

export async function pushDirectory(options: PushOptions): Promise<PushSummary> {
  const push = await PreparedPush.prepare(options);
  try {
    return await push.run();
  } finally {
    await push.close();
  }
}

/** Creates a session to learn what is missing, then aborts it: nothing is uploaded. */
export async function dryRunPush(options: PushOptions): Promise<DryRunReport> {
  const push = await PreparedPush.prepare(options);
  try {
    return await push.dryRun();
  } finally {
    await push.close();
  }
}

class PreparedPush {
  private readonly client: PressCloudClient;
  private readonly blobsBySha = new Map<string, BlobToUpload>();
  private readonly uploaded = new Set<string>();
  private sessionsOpened = 0;
  private retries = 0;

  private constructor(
    private readonly startedAt: number,
    private readonly options: PushOptions,
    private readonly files: readonly HashedFile[],
    private readonly manifest: ManifestFileInput[],
  ) {
    this.client = new PressCloudClient({ baseUrl: options.url, token: options.token, connections: options.concurrency });
    for (const file of files) {
      if (!this.blobsBySha.has(file.sha256)) {
        this.blobsBySha.set(file.sha256, { sha256: file.sha256, size: file.size, path: file.path, absolutePath: file.absolutePath });
      }
    }
  }

  static async prepare(options: PushOptions): Promise<PreparedPush> {
    const startedAt = Date.now();
    const { progress } = options;
    const walked = await walkDirectory(options.directory, { warn: (message) => progress.note(`warning: ${message}`) });
    if (walked.length === 0) throw new CliError(`${options.directory} has no files to push`, EXIT_USAGE);
    const cache =
      options.hashCacheDir === undefined ? undefined : await HashCache.load(options.hashCacheDir, await realpath(options.directory));
    progress.start('hashing', 'file', walked.length, walked.reduce((sum, file) => sum + file.size, 0));
    const files = await hashFiles(walked, {
      concurrency: HASH_CONCURRENCY,
      onBytes: (bytes) => progress.addBytes(bytes),
      onFileDone: () => progress.addItem(),
      cache,
    });
    progress.end(cache ? `${cache.hits} from cache` : undefined);
    if (cache) {
      // The hashes are right whatever happens to the upload, so they are saved now; a cache that cannot be written
      // only costs the next push some time.
      await cache.save().catch((err: unknown) => {
        const reason = err instanceof Error ? err.message : String(err);
        progress.note(`warning: could not write the hash cache ${cache.file}: ${reason}`);
      });
    }
    return new PreparedPush(startedAt, options, files, files.map(manifestEntry));
  }

  async close(): Promise<void> {
    this.options.progress.end();
    await this.client.close();
  }

  async dryRun(): Promise<DryRunReport> {
    const session = await this.openSession();
    await this.retrying('abort of the dry-run session', (signal) =>
      this.client.abortUploadSession(session.uploadSessionId, session.uploadToken, { signal }),
    );
    const missing = new Set(session.missing.map((sha) => sha.toLowerCase()));
    return {
      dryRun: true,
      uploadSessionId: session.uploadSessionId,
      fileCount: session.fileCount,
      blobCount: session.blobCount,
      totalBytes: session.totalBytes,
      missingBlobs: missing.size,
      missingBytes: [...missing].reduce((sum, sha) => sum + (this.blobsBySha.get(sha)?.size ?? 0), 0),
      files: this.manifest.filter((file) => missing.has(file.sha256)),
    };
  }

  async run(): Promise<PushSummary> {
    const { progress } = this.options;
    const uploader = new BlobUploader(this.client, {
      concurrency: this.options.concurrency,
      retryPolicy: this.options.retryPolicy,
      stallTimeoutMs: this.options.stallTimeoutMs,
      progress,
      onRetry: (what, notice) => this.noteRetry(what, notice),
      onUploaded: (blob) => this.uploaded.add(blob.sha256),
    });

    let session = await this.openSession();
    let missing = session.missing;
    const firstMissing = this.blobsFor(missing);
    const alreadyHeld = this.blobsBySha.size - firstMissing.length;
    if (firstMissing.length === 0) {
      progress.note(`nothing to upload: the server already holds all ${counted(alreadyHeld, 'blob')}`);
    } else {
      if (alreadyHeld > 0) progress.note(`${alreadyHeld} of ${counted(this.blobsBySha.size, 'blob')} already on the server`);
      progress.start('uploading', 'blob', firstMissing.length, firstMissing.reduce((sum, blob) => sum + blob.size, 0));
    }
    let fruitlessRenewals = 0;
    let completeRounds = 0;
    let uploadedBeforeRound = 0;

    const renewSession = async (): Promise<void> => {
      fruitlessRenewals = this.uploaded.size > uploadedBeforeRound ? 0 : fruitlessRenewals + 1;
      if (fruitlessRenewals > MAX_FRUITLESS_SESSION_RENEWALS) {
        throw new CliError('the upload session keeps expiring before any blob gets through; raise --session-ttl');
      }
      session = await this.openSession();
      missing = session.missing;
      progress.note(`the upload session expired; opened a new one, ${counted(missing.length, 'blob')} still missing`);
    };

    for (;;) {
      uploadedBeforeRound = this.uploaded.size;
      const outcome = await uploader.uploadAll(session, this.blobsFor(missing));
      if (outcome === 'session_expired') {
        await renewSession();
        continue;
      }
      const current = session;
      try {
        const completed = await this.retrying('completion', (signal) =>
          this.client.completeUploadSession(current.uploadSessionId, current.uploadToken, { signal }),
        );
        progress.end();
        return this.summary(completed.manifest.manifestId, current);
      } catch (err) {
        if (isPressCloudApiError(err, 'session_expired')) {
          await renewSession();
        } else if (isPressCloudApiError(err, 'blobs_missing') && ++completeRounds < MAX_COMPLETE_ROUNDS) {
          missing = err.missing ?? [];
          progress.note(`the server still misses ${counted(missing.length, 'blob')}; uploading them`);
        } else {
          throw err;
        }
      }
    }
  }

  private async openSession(): Promise<CreateUploadSessionResponse> {
    const session = await this.retrying('session creation', (signal) =>
      this.client.createUploadSession(
        { files: this.manifest, expiresInSeconds: this.options.sessionTtlSeconds },
        { signal },
      ),
    );
    this.sessionsOpened++;
    return session;
  }

  private blobsFor(missing: readonly string[]): BlobToUpload[] {
    return missing.map((sha) => {
      const blob = this.blobsBySha.get(sha.toLowerCase());
      if (!blob) throw new CliError(`the server asked for blob ${sha}, which is not in this push`);
      return blob;
    });
  }

  /** Session calls get the stall timeout too: an answer that never comes must not hang the push. */
  private retrying<T>(what: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        const watchdog = new StallWatchdog(this.options.stallTimeoutMs);
        try {
          return await operation(watchdog.signal);
        } finally {
          watchdog.dispose();
        }
      },
      this.options.retryPolicy,
      (notice) => this.noteRetry(what, notice),
    );
  }

  private noteRetry(what: string, notice: RetryNotice): void {
    this.retries++;
    const reason = notice.error instanceof Error ? notice.error.message : String(notice.error);
    this.options.progress.note(
      `retrying ${what} in ${(notice.delayMs / 1000).toFixed(1)} s (attempt ${notice.attempt + 1} of ${this.options.retryPolicy.attempts}): ${reason}`,
    );
  }

  private summary(manifestId: string, session: CreateUploadSessionResponse): PushSummary {
    const uploadedBytes = [...this.uploaded].reduce((sum, sha) => sum + (this.blobsBySha.get(sha)?.size ?? 0), 0);
    return {
      manifestId,
      uploadSessionId: session.uploadSessionId,
      fileCount: this.files.length,
      blobCount: this.blobsBySha.size,
      totalBytes: this.files.reduce((sum, file) => sum + file.size, 0),
      uploadedBlobs: this.uploaded.size,
      uploadedBytes,
      skippedBlobs: this.blobsBySha.size - this.uploaded.size,
      sessionsOpened: this.sessionsOpened,
      retries: this.retries,
      durationMs: Date.now() - this.startedAt,
    };
  }
}

function manifestEntry(file: HashedFile): ManifestFileInput {
  const mime = mimeOfPath(file.path);
  return mime ? { path: file.path, sha256: file.sha256, size: file.size, mime } : { path: file.path, sha256: file.sha256, size: file.size };
}

export function describeDryRun(report: DryRunReport): string {
  return `dry run: would upload ${report.missingBlobs} of ${counted(report.blobCount, 'blob')} (${formatBytes(report.missingBytes)}) for ${report.files.length} of ${counted(report.fileCount, 'file')}; the session was aborted`;
}
