// `presscloud gc`: one garbage collection against the stores, safe beside running servers.
import { Command, Option } from 'commander';
import { addStoreOptions, storeConfig } from './store-options.js';

interface GcFlags {
  dataDir?: string;
  databaseUrl?: string;
  blobStore?: string;
  graceSeconds?: string;
  json?: boolean;
}

export function gcCommand(): Command {
  return addStoreOptions(
    new Command('gc')
      .description('Expire stale sessions and delete blobs no manifest or open session needs, then print what was removed')
      .addOption(new Option('--grace-seconds <n>', 'keep unreferenced blobs younger than this (env PRESSCLOUD_GC_GRACE_SECONDS, default 3600)'))
      .option('--json', 'print the result as JSON'),
  ).action(async (flags: GcFlags) => {
    const config = storeConfig(flags, { gcGraceSeconds: flags.graceSeconds });
    // Loaded here, not at the top: every command's start pays for what the CLI imports eagerly.
    const [{ collectGarbage }, { openBlobStore, openMetadataStore }] = await Promise.all([import('../domain/garbage-collector.js'), import('../runtime.js')]);
    const metadata = await openMetadataStore(config);
    try {
      // No blobs.init(): on the file store it clears the temporaries of servers uploading right now.
      const blobs = await openBlobStore(config);
      try {
        const result = await collectGarbage({
          metadata,
          blobs,
          graceSeconds: config.gcGraceSeconds,
          sessionRetentionSeconds: config.sessionRetentionSeconds,
          now: new Date(),
        });
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(result)}\n`
            : `expired ${result.expiredSessions} session(s); purged ${result.purgedSessions} finished session(s); deleted ${result.deletedBlobs} blob(s), ${result.deletedBytes} bytes` +
                ` (${result.orphansDeleted} of them orphans)\n`,
        );
      } finally {
        await blobs.close();
      }
    } finally {
      await metadata.close();
    }
  });
}
