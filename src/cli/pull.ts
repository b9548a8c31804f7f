// `presscloud pull MANIFEST_ID DIR`: writes every file of a manifest into a directory, verified, resumable.
import { Command } from 'commander';
import type { PullFlags } from './pull/run-pull.js';
import { DEFAULT_DOWNLOAD_CONCURRENCY } from './transfer-common/constants.js';
import {
  concurrencyOption,
  retriesOption,
  retryWindowOption,
  stallTimeoutOption,
  tokenOption,
  urlOption,
} from './transfer-common/flags.js';

export function pullCommand(): Command {
  return new Command('pull')
    .description("Download every file of a manifest into DIR, verifying each one's sha256; files already right are kept")
    .argument('<manifest-id>', 'the manifest to pull (64 hex digits, as push prints it)')
    .argument('<dir>', 'directory to write into (created if missing)')
    .addOption(urlOption())
    .addOption(tokenOption('read'))
    .addOption(concurrencyOption('blobs downloaded at once', DEFAULT_DOWNLOAD_CONCURRENCY))
    .addOption(retriesOption())
    .addOption(retryWindowOption())
    .addOption(stallTimeoutOption())
    .option('--json', 'print one JSON object with the counts on stdout')
    .addHelpText(
      'after',
      '\nExit codes: 0 pulled; 1 failed (after retries), or a manifest path was refused; 2 usage error, no such manifest,\n' +
        'or the token was refused (401/403); 130 interrupted.\n' +
        'Never writes outside DIR: paths through a symlink inside DIR are refused, and so is a manifest symlink that would lead\n' +
        'out of DIR. Restores the executable bit and symlinks inside the tree, not owners, mtimes or empty directories.\n' +
        'Files not in the manifest are left alone.',
    )
    .action(async (manifestId: string, directory: string, flags: PullFlags) => {
      // Loaded here, not at the top: the HTTP client costs start-up that the other commands should not pay.
      const { runPullCommand } = await import('./pull/run-pull.js');
      await runPullCommand(manifestId, directory, flags);
    });
}
