// `presscloud push` once its flags are parsed: Ctrl-C handling, the push or the dry run, the last line.
// A module of its own so that src/cli/push.ts (loaded by every command) imports none of the client.
import { setMaxListeners } from 'node:events';
import { ProgressDisplay } from '../transfer-common/progress.js';
import { transferOptionsOf } from '../transfer-common/flags.js';
import { describeDryRun, dryRunPush } from './dry-run.js';
import { toPushCliError } from './failure.js';
import { defaultHashCacheDir } from './hash-cache.js';
import { EXIT_INTERRUPTED, PushInterrupted } from './interrupt.js';
import { pushDirectory } from './push-directory.js';
import { labelOf } from './label.js';
import { describeSkipped } from './skipped.js';
import { RESUMABLE_REQUEST_RETRIES, resumableBlobs } from './resumable-blob.js';
import type { PushOptions } from './push-directory.js';
import { TransferFailed } from './transfer.js';
import { publishSite } from './publish-step.js';

export interface PushFlags {
  url: string;
  token: string;
  concurrency: number;
  retries?: number;
  retryWindow: number;
  stallTimeout: number;
  sessionTtl?: number;
  label?: string;
  dryRun?: boolean;
  json?: boolean;
  /** False with `--no-cache`. */
  cache: boolean;
  /** Point this alias at the new manifest once pushed. */
  alias?: string;
  /** Blobs of at least this many bytes go through tus and resume across runs. */
  resumableThreshold: number;
}

export async function runPushCommand(directory: string, flags: PushFlags): Promise<void> {
  const progress = new ProgressDisplay(process.stderr);
  const interrupt = new AbortController();
  // Every file being hashed and every request in flight listens to it: the count is bounded by the concurrency.
  setMaxListeners(0, interrupt.signal);
  // A second Ctrl-C does not wait for the session's abort.
  const onSigint = () => (interrupt.signal.aborted ? process.exit(EXIT_INTERRUPTED) : interrupt.abort(new PushInterrupted()));
  process.on('SIGINT', onSigint);
  try {
    await runPush(directory, flags, progress, interrupt.signal);
  } catch (err) {
    // Whatever the live line showed is finished before the last word.
    progress.end();
    const interrupted = err instanceof PushInterrupted;
    // What is already stored, then the failure itself as the last line.
    if (err instanceof TransferFailed) process.stderr.write(`${err.message}\n`);
    const cause = err instanceof TransferFailed ? err.cause : err;
    const failure = interrupted
      ? undefined
      : toPushCliError(cause, { url: flags.url, attempts: flags.retries, retryWindowSeconds: flags.retryWindow });
    process.stderr.write(`presscloud: ${interrupted ? err.message : failure?.message}\n`);
    process.exitCode = failure?.exitCode ?? EXIT_INTERRUPTED;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function runPush(directory: string, flags: PushFlags, progress: ProgressDisplay, signal: AbortSignal): Promise<void> {
  const transfer = transferOptionsOf(flags, progress);
  const options: PushOptions = {
    ...transfer,
    directory,
    sessionTtlSeconds: flags.sessionTtl,
    label: await labelOf(flags.label, directory),
    hashCacheDir: flags.cache ? defaultHashCacheDir(process.env) : undefined,
    signal,
    resumable: resumableBlobs({
      url: transfer.url,
      token: flags.token,
      threshold: flags.resumableThreshold,
      cacheDir: defaultHashCacheDir(process.env),
      // Each tus request is retried by the client; past these the core retries the blob within --retry-window.
      retries: flags.retries ?? RESUMABLE_REQUEST_RETRIES,
    }),
  };
  if (flags.dryRun) {
    const report = await dryRunPush(options);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      for (const file of report.files) process.stdout.write(`${file.path}\n`);
      process.stderr.write(`${describeDryRun(report)}\n`);
    }
    return;
  }
  const summary = await pushDirectory(options);
  if (summary.skippedFiles > 0) process.stderr.write(`${describeSkipped(summary.skipped)}\n`);
  const site = await publishSite(directory, summary.manifestId, flags);
  for (const warning of site.warnings) process.stderr.write(`presscloud: warning: ${warning}\n`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...summary, ...site })}\n`);
  } else {
    process.stdout.write(`${summary.manifestId}\n${site.url ? `${site.url}\n` : ''}`);
    if (site.previewUrl) process.stderr.write(`preview: ${site.previewUrl}\n`);
  }
}
