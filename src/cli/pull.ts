// `presscloud pull MANIFEST_ID DIR`: writes every file of a manifest into a directory, verified, resumable.
import { Command } from 'commander';
import { setMaxListeners } from 'node:events';
import { CliError, EXIT_USAGE } from './cli-error.js';
import { EXIT_INTERRUPTED } from './push/interrupt.js';
import { pullManifest } from './pull/pull-manifest.js';
import type { PullSummary } from './pull/pull-manifest.js';
import { DEFAULT_DOWNLOAD_CONCURRENCY } from './transfer-common/constants.js';
import { toCliError } from './transfer-common/failure.js';
import {
  concurrencyOption,
  retriesOption,
  retryPolicyOf,
  stallTimeoutOption,
  tokenOption,
  urlOption,
  validUrl,
} from './transfer-common/flags.js';
import { ProgressDisplay, counted } from './transfer-common/progress.js';

interface PullFlags {
  url: string;
  token: string;
  concurrency: number;
  retries: number;
  stallTimeout: number;
  json?: boolean;
}

export function pullCommand(): Command {
  return new Command('pull')
    .description("Download every file of a manifest into DIR, verifying each one's sha256; files already right are kept")
    .argument('<manifest-id>', 'the manifest to pull (64 hex digits, as push prints it)')
    .argument('<dir>', 'directory to write into (created if missing)')
    .addOption(urlOption())
    .addOption(tokenOption('read'))
    .addOption(concurrencyOption('blobs downloaded at once', DEFAULT_DOWNLOAD_CONCURRENCY))
    .addOption(retriesOption())
    .addOption(stallTimeoutOption())
    .option('--json', 'print one JSON object with the counts on stdout')
    .addHelpText(
      'after',
      '\nExit codes: 0 pulled; 1 failed (after retries), or a manifest path was refused; 2 usage error, no such manifest,\n' +
        'or the token was refused (401/403); 130 interrupted.\n' +
        'Never writes outside DIR: paths through a symlink inside DIR are refused. Files not in the manifest are left alone.',
    )
    .action(async (manifestId: string, directory: string, flags: PullFlags) => {
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
        const failure = toCliError(err, { url: flags.url, attempts: flags.retries });
        process.stderr.write(`presscloud: ${failure.message}\n`);
        process.exitCode = failure.exitCode;
      } finally {
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      }
    });
}

async function runPull(
  manifestId: string,
  directory: string,
  flags: PullFlags,
  progress: ProgressDisplay,
  signal: AbortSignal,
): Promise<void> {
  if (!/^[0-9a-fA-F]{64}$/.test(manifestId)) throw new CliError(`${manifestId} is not a manifest id (64 hex digits)`, EXIT_USAGE);
  const summary = await pullManifest({
    manifestId: manifestId.toLowerCase(),
    directory,
    url: validUrl(flags.url),
    token: flags.token,
    concurrency: flags.concurrency,
    retryPolicy: retryPolicyOf(flags.retries),
    stallTimeoutMs: flags.stallTimeout * 1000,
    progress,
    signal,
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stderr.write(`${describePull(summary)}\n`);
}

function describePull(summary: PullSummary): string {
  const kept = summary.skippedFiles > 0 ? `, ${summary.skippedFiles} already there` : '';
  return `pulled ${counted(summary.fileCount, 'file')} into ${summary.directory} (${summary.writtenFiles} written${kept})`;
}
