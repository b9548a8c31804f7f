// `presscloud push DIR`: uploads a directory as a manifest and prints its id.
import { setMaxListeners } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT_USAGE } from './cli-error.js';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_STALL_TIMEOUT_SECONDS,
  DEFAULT_UPLOAD_CONCURRENCY,
  MAX_UPLOAD_CONCURRENCY,
  RETRY_BASE_DELAY_MS,
  RETRY_MAX_DELAY_MS,
  SESSION_TTL_MAX_SECONDS,
  SESSION_TTL_MIN_SECONDS,
} from './push/constants.js';
import { describeDryRun, dryRunPush } from './push/dry-run.js';
import { toCliError } from './push/failure.js';
import { defaultHashCacheDir } from './push/hash-cache.js';
import { EXIT_INTERRUPTED, PushInterrupted } from './push/interrupt.js';
import { ProgressDisplay } from './push/progress.js';
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
    .addOption(
      new Option('--url <url>', "PressCloud server's root URL, e.g. http://127.0.0.1:8080").env('PRESSCLOUD_URL').makeOptionMandatory(),
    )
    .addOption(new Option('--token <token>', 'API token with the upload scope').env('PRESSCLOUD_TOKEN').makeOptionMandatory())
    .addOption(
      new Option('--concurrency <n>', 'blobs uploaded at once')
        .argParser(integerIn(1, MAX_UPLOAD_CONCURRENCY))
        .default(DEFAULT_UPLOAD_CONCURRENCY),
    )
    .addOption(new Option('--retries <n>', 'attempts per request before giving up').argParser(integerIn(1, 100)).default(DEFAULT_ATTEMPTS))
    .addOption(
      new Option('--stall-timeout <seconds>', 'abort and retry an upload that makes no progress for this long')
        .argParser(positiveNumber)
        .default(DEFAULT_STALL_TIMEOUT_SECONDS),
    )
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
        const failure = interrupted ? undefined : toCliError(err, { url: flags.url, attempts: flags.retries });
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
    retryPolicy: { attempts: flags.retries, baseDelayMs: RETRY_BASE_DELAY_MS, maxDelayMs: RETRY_MAX_DELAY_MS },
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

/** The server's root as an http(s) URL; `host:port` without a scheme gets the likely fix in the message. */
function validUrl(value: string): string {
  const hint = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? '' : ` (did you mean http://${value}?)`;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new CliError(`--url must be an http:// or https:// URL, not ${value}${hint}`, EXIT_USAGE);
  }
  return url.href;
}

function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return parsed;
  };
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive number of seconds.');
  return parsed;
}
