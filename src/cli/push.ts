// `presscloud push DIR`: uploads a directory as a manifest and prints its id.
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_STALL_TIMEOUT_SECONDS,
  DEFAULT_UPLOAD_CONCURRENCY,
  MAX_UPLOAD_CONCURRENCY,
  SESSION_TTL_MAX_SECONDS,
  SESSION_TTL_MIN_SECONDS,
} from './push/constants.js';
import type { PushFlags } from './push/run-push.js';

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
      // Loaded here, not at the top: the HTTP client (undici) and the walker cost start-up that
      // `--help`, `--version` and the other commands should not pay.
      const { runPushCommand } = await import('./push/run-push.js');
      await runPushCommand(directory, flags);
    });
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
