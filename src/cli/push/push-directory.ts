// `presscloud push` as the composition of its two steps: check the URL and token, build the LocalManifest (no
// network), then transfer it.
import { PressCloudClient } from '../../client/client.js';
import type { ResumableUploader } from '../../client/upload/context.js';
import type { LocalBlob } from './local-manifest.js';
import { buildLocalManifest } from './local-manifest.js';
import type { SkippedFile } from './skipped.js';
import type { TransferOptions } from '../transfer-common/flags.js';
import { SessionCalls } from './session-calls.js';
import { alreadyPushed } from './known-manifest.js';
import { transferManifest } from './transfer.js';

export interface PushOptions extends TransferOptions {
  directory: string;
  sessionTtlSeconds: number | undefined;
  /** The manifest's label (the folder's name unless --label says otherwise). */
  label?: string;
  /** Where the hash cache lives; undefined disables it (`--no-cache`). */
  hashCacheDir: string | undefined;
  /**
   * Ctrl-C: the push stops where it is, keeps its hashes, aborts its session (unless a big file's tus upload in it
   * has bytes on the server: then the session stays open for the next push to resume), and rejects with a PushInterrupted.
   */
  signal?: AbortSignal;
  /** Big blobs through tus, resumable across runs (`--resumable-threshold`). */
  resumable?: ResumableUploader<LocalBlob>;
}

export interface PushSummary {
  manifestId: string;
  /** null when no session was needed: the server already held the manifest (a warm push of an unchanged tree). */
  uploadSessionId: string | null;
  fileCount: number;
  blobCount: number;
  totalBytes: number;
  uploadedBlobs: number;
  uploadedBytes: number;
  skippedBlobs: number;
  /** Files under DIR left out of the manifest (outside symlinks, broken ones, fifos, refused names), and why. */
  skippedFiles: number;
  skipped: ReadonlyArray<Pick<SkippedFile, 'path' | 'reason'>>;
  sessionsOpened: number;
  retries: number;
  durationMs: number;
}

export async function pushDirectory(options: PushOptions): Promise<PushSummary> {
  const startedAt = Date.now();
  return withSessionCalls(options, async (calls) => {
    await calls.checkAccess();
    const manifest = await buildLocalManifest(options);
    const result =
      (await alreadyPushed(calls, manifest)) ??
      (await transferManifest(calls, manifest, { concurrency: options.concurrency, resumable: options.resumable }));
    const uploadedBytes = [...result.uploaded].reduce((sum, sha) => sum + (manifest.blobs.get(sha)?.size ?? 0), 0);
    return {
      manifestId: result.manifestId,
      uploadSessionId: result.uploadSessionId,
      fileCount: manifest.files.length,
      blobCount: manifest.blobs.size,
      totalBytes: manifest.totalBytes,
      uploadedBlobs: result.uploaded.size,
      uploadedBytes,
      skippedBlobs: manifest.blobs.size - result.uploaded.size,
      skippedFiles: manifest.skipped.length,
      skipped: manifest.skipped.map(({ path, reason }) => ({ path, reason })),
      sessionsOpened: calls.sessionsOpened,
      retries: calls.retries,
      durationMs: Date.now() - startedAt,
    };
  });
}

/** Runs `work` with a client sized for the push, and closes the client and the progress line afterwards. */
export async function withSessionCalls<T>(options: PushOptions, work: (calls: SessionCalls) => Promise<T>): Promise<T> {
  const client = new PressCloudClient({ baseUrl: options.url, token: options.token, connections: options.concurrency });
  try {
    return await work(new SessionCalls(client, options));
  } finally {
    options.progress.end();
    await client.close();
  }
}
