// `presscloud pull` once its arguments are parsed: Ctrl-C handling, the pull, the last line. A module of its own
// so that src/cli/pull.ts (loaded by every command) imports none of the client.
import { setMaxListeners } from 'node:events';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import { EXIT_INTERRUPTED } from '../push/interrupt.js';
import { toCliError } from '../transfer-common/failure.js';
import { isSha256 } from '../../domain/blob-key.js';
import { transferOptionsOf } from '../transfer-common/flags.js';
import { ProgressDisplay, counted } from '../transfer-common/progress.js';
import { pullManifest } from './pull-manifest.js';
import type { PullSummary } from './pull-manifest.js';

export interface PullFlags {
  url: string;
  token: string;
  concurrency: number;
  retries?: number;
  retryWindow: number;
  stallTimeout: number;
  json?: boolean;
}

export async function runPullCommand(manifestId: string, directory: string, flags: PullFlags): Promise<void> {
  const progress = new ProgressDisplay(process.stderr);
  const interrupt = new AbortController();
  // Every download in flight listens to it: the count is bounded by the concurrency.
  setMaxListeners(0, interrupt.signal);
  // Ctrl-C stops the downloads so their temp files are removed; a second one exits at once.
  const onSignal = () => (interrupt.signal.aborted ? process.exit(EXIT_INTERRUPTED) : interrupt.abort(new Error('interrupted')));
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    await runPull(manifestId, directory, flags, progress, interrupt.signal);
  } catch (err) {
    progress.end();
    if (interrupt.signal.aborted) {
      process.stderr.write('presscloud: interrupted; the files written so far are kept, and the next pull resumes from them\n');
      process.exitCode = EXIT_INTERRUPTED;
      return;
    }
    const failure = toCliError(err, { url: flags.url, attempts: flags.retries, retryWindowSeconds: flags.retryWindow });
    process.stderr.write(`presscloud: ${failure.message}\n`);
    process.exitCode = failure.exitCode;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

async function runPull(
  manifestId: string,
  directory: string,
  flags: PullFlags,
  progress: ProgressDisplay,
  signal: AbortSignal,
): Promise<void> {
  if (!isSha256(manifestId)) throw new CliError(`${manifestId} is not a manifest id (64 hex digits)`, EXIT_USAGE);
  const summary = await pullManifest({
    manifestId: manifestId.toLowerCase(),
    ...transferOptionsOf(flags, progress),
    directory,
    signal,
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stderr.write(`${describePull(summary)}\n`);
}

function describePull(summary: PullSummary): string {
  const kept = summary.skippedFiles > 0 ? `, ${summary.skippedFiles} already there` : '';
  return `pulled ${counted(summary.fileCount, 'file')} into ${summary.directory} (${summary.writtenFiles} written${kept})`;
}
