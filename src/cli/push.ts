// `presscloud push DIR`: uploads a directory as a manifest and prints its id.
import { Command, Option } from 'commander';
import {
  DEFAULT_RESUMABLE_THRESHOLD,
  DEFAULT_UPLOAD_CONCURRENCY,
  SESSION_TTL_MAX_SECONDS,
  SESSION_TTL_MIN_SECONDS,
} from './push/constants.js';
import type { PushFlags } from './push/run-push.js';
import { aliasNameArgument } from './site-flags.js';
import {
  concurrencyOption,
  integerIn,
  retriesOption,
  retryWindowOption,
  stallTimeoutOption,
  tokenOption,
  urlOption,
} from './transfer-common/flags.js';

export function pushCommand(): Command {
  return new Command('push')
    .description('Hash DIR, upload the files the server lacks, and print the manifest id on stdout')
    .argument('<dir>', 'directory to push')
    .addOption(urlOption())
    .addOption(tokenOption('upload'))
    .addOption(concurrencyOption('blobs uploaded at once', DEFAULT_UPLOAD_CONCURRENCY))
    .addOption(retriesOption())
    .addOption(retryWindowOption())
    .addOption(stallTimeoutOption())
    .addOption(
      new Option('--session-ttl <seconds>', 'lifetime asked for each upload session (expiresInSeconds)')
        .argParser(integerIn(SESSION_TTL_MIN_SECONDS, SESSION_TTL_MAX_SECONDS))
        .hideHelp(),
    )
    .option('--label <name>', "the manifest's label, shown by `presscloud manifests` and the page (default DIR's name)")
    .addOption(new Option('--alias <name>', "point this alias at the new manifest and print its site's URL").argParser(aliasNameArgument))
    .addOption(
      new Option('--resumable-threshold <bytes>', 'blobs of at least this size go through tus and resume where a killed push stopped')
        .argParser(integerIn(1, Number.MAX_SAFE_INTEGER))
        .default(DEFAULT_RESUMABLE_THRESHOLD),
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
