// `presscloud gc`: one garbage collection against the stores, safe beside running servers.
import { Command } from 'commander';
import type { IngestMetrics } from '../domain/blob-ingest.js';
import { requireExistingDatabase, storeOptions } from './store-options.js';

const UNCOUNTED: IngestMetrics = { bytesReceived: () => {}, blobStored: () => {}, dedupeHit: () => {} };

export function gcCommand(): Command {
  const command = new Command('gc')
    .description(
      'Expire stale sessions, drop abandoned resumable uploads, purge finished sessions past their retention, delete blobs nothing needs; print what was removed',
    )
    .option('--json', 'print the result as JSON');
  const settings = storeOptions(command, { blobs: true })
    .add(command, 'gcGraceSeconds', 'grace-seconds')
    .add(command, 'sessionRetentionSeconds');
  return command.action(async (flags: { json?: boolean }) => {
    const config = settings.config(command);
    await requireExistingDatabase(config);
    // Loaded here, not at the top: every command's start pays for what the CLI imports eagerly.
    const [{ collectGarbage }, { createResumableUploads, openBlobStore, openMetadataStore, openPartialUploadStore }] = await Promise.all([
      import('../domain/garbage-collector.js'),
      import('../runtime.js'),
    ]);
    const metadata = await openMetadataStore(config);
    try {
      // No blobs.init(): on the file store it clears the temporaries of servers uploading right now.
      const blobs = await openBlobStore(config);
      try {
        // As the server's periodic collection: abandoned tus uploads go with their partial bytes (the data
        // directory's file, or the S3 multipart upload). Nothing is received here, so nothing is counted.
        const backends = { metadata, blobs, partials: openPartialUploadStore(blobs, config.dataDir) };
        const resumable = createResumableUploads(config, backends, UNCOUNTED);
        const result = await collectGarbage({
          ...backends,
          graceSeconds: config.gcGraceSeconds,
          sessionRetentionSeconds: config.sessionRetentionSeconds,
          now: new Date(),
          resumable,
        });
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(result)}\n`
            : `expired ${result.expiredSessions} session(s); dropped ${result.expiredUploads ?? 0} abandoned resumable upload(s); purged ${result.purgedSessions} finished session(s); ` +
                `deleted ${result.deletedBlobs} blob(s), ${result.deletedBytes} bytes (${result.orphansDeleted} of them orphans)\n`,
        );
      } finally {
        await blobs.close();
      }
    } finally {
      await metadata.close();
    }
  });
}
