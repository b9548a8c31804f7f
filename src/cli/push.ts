// `presscloud push DIR`: uploads a directory as a manifest and prints its id.
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
import { toCliError } from './push/failure.js';
import { defaultHashCacheDir } from './push/hash-cache.js';
import { ProgressDisplay } from './push/progress.js';
import { describeDryRun, dryRunPush } from './push/dry-run.js';
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
  return (
    new Command('push')
      .description('Hash DIR, upload the files the server lacks, and print the manifest id on stdout')
      .argument('<dir>', 'directory to push')
      .addOption(new Option('--url <url>', 'PressCloud server URL').env('PRESSCLOUD_URL').makeOptionMandatory())
      .addOption(new Option('--token <token>', 'API token with the upload scope').env('PRESSCLOUD_TOKEN').makeOptionMandatory())
      .addOption(
        new Option('--concurrency <n>', 'blobs uploaded at once')
          .argParser(integerIn(1, MAX_UPLOAD_CONCURRENCY))
          .default(DEFAULT_UPLOAD_CONCURRENCY),
      )
      .addOption(
        new Option('--retries <n>', 'attempts per request before giving up').argParser(integerIn(1, 100)).default(DEFAULT_ATTEMPTS),
      )
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
        '\nExit codes: 0 pushed; 1 failed (after retries); 2 usage error, or the token was refused (401/403).\n' +
          'Ignores .git and the paths listed in DIR/.presscloudignore (gitignore syntax).\n' +
          'Remembers file hashes in $PRESSCLOUD_CACHE_DIR (default $XDG_CACHE_HOME/presscloud or ~/.cache/presscloud).',
      )
      .action(async (directory: string, flags: PushFlags) => {
        try {
          await runPush(directory, flags);
        } catch (err) {
          const failure = toCliError(err, { url: flags.url, attempts: flags.retries });
          process.stderr.write(`presscloud: ${failure.message}\n`);
          process.exitCode = failure.exitCode;
        }
      })
  );
}

async function runPush(directory: string, flags: PushFlags): Promise<void> {
  const options: PushOptions = {
    directory,
    url: validUrl(flags.url),
    token: flags.token,
    concurrency: flags.concurrency,
    retryPolicy: { attempts: flags.retries, baseDelayMs: RETRY_BASE_DELAY_MS, maxDelayMs: RETRY_MAX_DELAY_MS },
    stallTimeoutMs: flags.stallTimeout * 1000,
    sessionTtlSeconds: flags.sessionTtl,
    progress: new ProgressDisplay(process.stderr),
    hashCacheDir: flags.cache ? defaultHashCacheDir(process.env) : undefined,
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

function validUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--url ${value} is not a URL`, EXIT_USAGE);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url must be http or https: ${value}`, EXIT_USAGE);
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
