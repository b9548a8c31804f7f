// `presscloud pull` as the composition of its steps: fetch and check the manifest, see what the directory already
// holds, sweep what a killed pull left, download the rest, then make the renames durable.
import { chmod, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../../api/types.js';
import { PressCloudClient } from '../../client/client.js';
import { isPressCloudApiError } from '../../client/errors.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import { mapWithConcurrency } from '../../client/upload/pool.js';
import type { TransferOptions } from '../transfer-common/flags.js';
import { RetryingCalls } from '../transfer-common/retrying-calls.js';
import { checkServer } from '../transfer-common/server-check.js';
import { BlobDownloader, permissionsFor, syncFile } from './downloader.js';
import { checkLocalFiles } from './local-check.js';
import { checkedFiles } from './manifest-files.js';
import type { PullFile } from './manifest-files.js';
import { PathGuard } from './path-guard.js';
import { linkTargets, linksToWrite, writeLinks } from './symlinks.js';
import { sweepStaleTemps } from './temp-files.js';

export interface PullOptions extends TransferOptions {
  manifestId: string;
  directory: string;
  /** Ctrl-C: the pull stops, removes its temp files, and rejects with the signal's reason. */
  signal: AbortSignal;
}

export interface PullSummary {
  manifestId: string;
  /** The directory written, absolute with its symlinks resolved. */
  directory: string;
  fileCount: number;
  blobCount: number;
  totalBytes: number;
  downloadedBlobs: number;
  downloadedBytes: number;
  writtenFiles: number;
  skippedFiles: number;
  retries: number;
  durationMs: number;
}

export async function pullManifest(options: PullOptions): Promise<PullSummary> {
  const startedAt = Date.now();
  const { progress } = options;
  const client = new PressCloudClient({ baseUrl: options.url, token: options.token, connections: options.concurrency });
  const calls = new RetryingCalls(options);
  try {
    await checkServer(client, calls, 'read');
    const manifest = await fetchManifest(client, calls, options);
    const guard = new PathGuard(await directoryToWrite(options.directory));
    const files = checkedFiles(manifest, guard);
    const regular = files.filter((file) => file.mode !== '120000');
    // Every link's target is fetched and checked, and every path looked at, before anything is written.
    const links = await linkTargets(
      client,
      calls,
      files.filter((file) => file.mode === '120000'),
      options.signal,
    );
    const check = await checkLocalFiles(regular, guard, progress, options.signal);
    const newLinks = await linksToWrite(links, guard);
    await sweepDirectories(files, guard);

    const executable = new Set(regular.filter((file) => file.mode === '100755').map((file) => file.path));
    const downloading = check.toWrite;
    const downloadBytes = downloading.reduce((sum, blob) => sum + blob.size, 0);
    if (downloading.length > 0) progress.start('downloading', 'blob', downloading.length, downloadBytes);
    const downloader = new BlobDownloader(client, calls, guard, {
      concurrency: options.concurrency,
      stallTimeoutMs: options.stallTimeoutMs,
      progress,
      signal: options.signal,
      executable,
    });
    await downloader.downloadAll(downloading);
    for (const file of check.wrongMode) await chmod(guard.resolve(file), permissionsFor(executable.has(file)));
    // Last, so a link never stands where a file of the manifest would be written through it.
    await writeLinks(newLinks, guard);
    for (const link of newLinks) downloader.directoriesWritten.add(path.dirname(guard.resolve(link.path)));
    await mapWithConcurrency([...downloader.directoriesWritten], options.concurrency, syncFile);
    progress.end();

    const writtenFiles = downloading.reduce((sum, blob) => sum + blob.paths.length, 0) + newLinks.length;
    return {
      manifestId: manifest.manifestId,
      directory: guard.rootReal,
      fileCount: files.length,
      blobCount: new Set(files.map((file) => file.sha256)).size,
      totalBytes: files.reduce((sum, file) => sum + file.size, 0),
      downloadedBlobs: downloading.length,
      downloadedBytes: downloadBytes,
      writtenFiles,
      skippedFiles: files.length - writtenFiles,
      retries: calls.retries,
      durationMs: Date.now() - startedAt,
    };
  } finally {
    progress.end();
    await client.close();
  }
}

async function fetchManifest(client: PressCloudClient, calls: RetryingCalls, options: PullOptions): Promise<Manifest> {
  try {
    return await calls.retrying('manifest download', (signal) => client.getManifest(options.manifestId, { signal }));
  } catch (err) {
    // Naming a manifest that is not there is the user's mistake, like naming a missing directory.
    if (isPressCloudApiError(err, 'manifest_not_found')) throw new CliError(`no manifest ${options.manifestId} for this token`, EXIT_USAGE);
    throw err;
  }
}

/** The directory, created when missing; its own path may go through symlinks (the user named it), not what lies below. */
async function directoryToWrite(directory: string): Promise<string> {
  try {
    await mkdir(directory, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new CliError(`${directory} is not a directory`, EXIT_USAGE);
    throw err;
  }
  const real = await realpath(directory);
  if (!(await stat(real)).isDirectory()) throw new CliError(`${directory} is not a directory`, EXIT_USAGE);
  return real;
}

/** The temp files of killed pulls, in every directory of the manifest that exists (the check step vouched for them). */
async function sweepDirectories(files: readonly PullFile[], guard: PathGuard): Promise<void> {
  const listedNames = new Map<string, Set<string>>();
  for (const file of files) {
    const slash = file.path.lastIndexOf('/');
    const directory = slash === -1 ? '' : file.path.slice(0, slash);
    const names = listedNames.get(directory) ?? new Set<string>();
    names.add(file.path.slice(slash + 1));
    listedNames.set(directory, names);
  }
  for (const [directory, names] of listedNames) {
    await sweepStaleTemps(path.join(guard.rootReal, ...(directory === '' ? [] : directory.split('/'))), names);
  }
}
