// `presscloud push DIR`: uploads a directory as a manifest and prints its id.
import { setMaxListeners } from 'node:events';
import { Command, Option } from 'commander';
import { DEFAULT_UPLOAD_CONCURRENCY, SESSION_TTL_MAX_SECONDS, SESSION_TTL_MIN_SECONDS } from './push/constants.js';
import { describeDryRun, dryRunPush } from './push/dry-run.js';
import { toPushCliError } from './push/failure.js';
import { defaultHashCacheDir } from './push/hash-cache.js';
import { EXIT_INTERRUPTED, PushInterrupted } from './push/interrupt.js';
import { ProgressDisplay } from './transfer-common/progress.js';
import {
  concurrencyOption,
  integerIn,
  retriesOption,
  retryPolicyOf,
  stallTimeoutOption,
  tokenOption,
  urlOption,
  validUrl,
} from './transfer-common/flags.js';
import { pushDirectory } from './push/push-directory.js';
import type { PushOptions } from './push/push-directory.js';

interface PushFlags {
  url: string;
  token: string;
  concurrency: number;
  retries: number;
  stallTimeout: number;
  sessionTtl?: number;
  dryRun?: boolean;
  json?: boolean;
  /** False with `--no-cache`. */
  cache: boolean;
}

export function pushCommand(): Command {
  return new Command('push')
    .description('Hash DIR, upload the files the server lacks, and print the manifest id on stdout')
    .argument('<dir>', 'directory to push')
    .addOption(urlOption())
    .addOption(tokenOption('upload'))
    .addOption(concurrencyOption('blobs uploaded at once', DEFAULT_UPLOAD_CONCURRENCY))
    .addOption(retriesOption())
    .addOption(stallTimeoutOption())
    .addOption(
      new Option('--session-ttl <seconds>', 'lifetime asked for each upload session (expiresInSeconds)')
        .argParser(integerIn(SESSION_TTL_MIN_SECONDS, SESSION_TTL_MAX_SECONDS))
        .hideHelp(),
    )
    .option('--dry-run', 'list the files that would upload, without uploading (creates a session to ask, then aborts it)')
    .option('--json', 'print one JSON object with the manifest id and counts instead of the bare id')
    .option('--no-cache', 'hash every file, neither reading nor writing the local hash cache')
    .addHelpText(
      'after',
      '\nExit codes: 0 pushed; 1 failed (after retries); 2 usage error, or the token was refused (401/403); 130 interrupted.\n' +
        'Ignores .git and the paths listed in DIR/.presscloudignore (gitignore syntax).\n' +
        'Remembers file hashes in $PRESSCLOUD_CACHE_DIR (default $XDG_CACHE_HOME/presscloud or ~/.cache/presscloud).\n' +
        'Ctrl-C stops the push, keeps the hashes computed so far and aborts the upload session.',
    )
    .action(async (directory: string, flags: PushFlags) => {
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
        const failure = interrupted ? undefined : toPushCliError(err, { url: flags.url, attempts: flags.retries });
        process.stderr.write(`presscloud: ${interrupted ? err.message : failure?.message}\n`);
        process.exitCode = failure?.exitCode ?? EXIT_INTERRUPTED;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

async function runPush(directory: string, flags: PushFlags, progress: ProgressDisplay, signal: AbortSignal): Promise<void> {
  const options: PushOptions = {
    directory,
    url: validUrl(flags.url),
    token: flags.token,
    concurrency: flags.concurrency,
    retryPolicy: retryPolicyOf(flags.retries),
    stallTimeoutMs: flags.stallTimeout * 1000,
    sessionTtlSeconds: flags.sessionTtl,
    progress,
    hashCacheDir: flags.cache ? defaultHashCacheDir(process.env) : undefined,
    signal,
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
  process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${summary.manifestId}\n`);
}
