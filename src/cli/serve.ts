// `presscloud serve`: every setting of config.ts as a flag (and its environment variable).
import { Command } from 'commander';
import { SETTINGS } from '../config.js';
import type { Config } from '../config.js';
import { issueApiToken } from '../domain/api-tokens.js';
import type { RunningServer } from '../server.js';
import type { MetadataStore } from '../domain/ports/metadata-store.js';
import type { DataDirLock } from './data-dir-lock.js';
import { SettingOptions } from './setting-options.js';

export function serveCommand(): Command {
  const command = new Command('serve').description(
    'Run the upload service (SQLite and files under --data-dir unless --database-url/--blob-store say otherwise)',
  );
  const settings = new SettingOptions();
  for (const setting of SETTINGS) settings.add(command, setting.key);
  command.addHelpText('after', '\nLogs go to stdout, one JSON object a line; the lines meant for people go to stderr.');
  return command.action(async () => {
    const config = settings.config(command);
    // Before anything opens a store: a second server must not touch the first one's files (tmp/ above all).
    // The lock module loads better-sqlite3, which no other command should pay for at start-up.
    const lock = usesDataDir(config) ? (await import('./data-dir-lock.js')).lockDataDir(config.dataDir) : undefined;
    // Loaded here, not at the top: `presscloud push` and `--help` need none of the server.
    const { startServer } = await import('../server.js');
    const server = await startServer(config);
    await bootstrapFirstToken(server.backends.metadata);
    const { metadata, blobs } = server.backends;
    server.app.log.info({ url: server.url, database: metadata.dialect, blobStore: blobs.kind }, 'presscloud serving');
    process.stderr.write(`presscloud: serving on ${server.url} (${metadata.dialect} + ${blobs.kind}, data ${config.dataDir})\n`);
    handleSignals(server, lock);
  });
}

/** The embedded default keeps its database or its blobs (or both) in the data directory. */
function usesDataDir(config: Config): boolean {
  return config.databaseUrl === undefined || config.blobStore === undefined;
}

/** SIGTERM or SIGINT drains and exits 0; a second signal exits at once. */
function handleSignals(server: RunningServer, lock: DataDirLock | undefined): void {
  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    server.app.log.info({ signal }, 'draining');
    server.close().then(
      () => {
        lock?.release();
        process.exit(0);
      },
      (err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** On first start with an empty database: tenant `default` and one token with every scope, shown once on stderr. */
async function bootstrapFirstToken(metadata: MetadataStore): Promise<void> {
  if ((await metadata.countApiTokens()) > 0) return;
  const token = await issueApiToken(metadata, 'default', ['upload', 'read', 'publish']);
  process.stderr.write(
    '\nFirst start: created tenant "default" and this API token (scopes upload,read,publish).\n' +
      `It is shown only once; only its hash is kept:\n\n  ${token}\n\n`,
  );
}
