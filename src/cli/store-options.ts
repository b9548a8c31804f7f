// The flags that pick the stores, shared by the commands that open them beside a server (token, gc), and the
// check that only `serve` ever creates a database.
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { CliError, EXIT_USAGE } from './cli-error.js';
import { SettingOptions } from './setting-options.js';

/** --data-dir and --database-url; --blob-store too for the commands that open the blob store. */
export function storeOptions(command: Command, stores: { blobs: boolean }): SettingOptions {
  const options = new SettingOptions().add(command, 'dataDir').add(command, 'databaseUrl');
  return stores.blobs ? options.add(command, 'blobStore') : options;
}

/**
 * Refuses a data directory with no SQLite database: opening one would create it, and a token issued into a
 * database no server reads fails later with a 401 and no hint.
 */
export async function requireExistingDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<void> {
  if (config.databaseUrl) return;
  // Loaded here: the runtime pulls in the drivers, which `--help` and `push` do not need.
  const { embeddedDatabaseExists } = await import('../runtime.js');
  if (!embeddedDatabaseExists(config)) {
    throw new CliError(
      `no PressCloud database in ${config.dataDir}; start \`presscloud serve --data-dir ${config.dataDir}\` first`,
      EXIT_USAGE,
    );
  }
}
