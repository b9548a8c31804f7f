// The flags that pick the stores, shared by every command that opens them (token, gc).
import { Command, Option } from 'commander';
import { buildConfig, type Config } from '../config.js';

export function addStoreOptions(command: Command): Command {
  return command
    .addOption(new Option('--data-dir <dir>', 'data directory of the embedded default (env PRESSCLOUD_DATA_DIR, default ./data)'))
    .addOption(new Option('--database-url <url>', 'postgres://… (env PRESSCLOUD_DATABASE_URL)'))
    .addOption(new Option('--blob-store <url>', 's3://bucket/prefix (env PRESSCLOUD_BLOB_STORE)'));
}

/** `settings`: a command's own flags for other settings of config.ts, validated the same way. */
export function storeConfig(flags: { dataDir?: string; databaseUrl?: string; blobStore?: string }, settings: Partial<Record<keyof Config, unknown>> = {}): Config {
  return buildConfig({ ...settings, dataDir: flags.dataDir, databaseUrl: flags.databaseUrl, blobStore: flags.blobStore }, process.env);
}
