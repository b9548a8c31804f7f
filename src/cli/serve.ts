// `presscloud serve`: every setting of config.ts as a flag (and its environment variable).
import { Command, Option } from 'commander';
import { buildConfig, SETTINGS, type Config } from '../config.js';
import { issueApiToken } from '../domain/api-tokens.js';
import type { MetadataStore } from '../domain/ports/metadata-store.js';

export function serveCommand(): Command {
  const command = new Command('serve').description('Run the upload service (SQLite and files under --data-dir unless --database-url/--blob-store say otherwise)');
  const options = SETTINGS.map((setting) => {
    const defaultText = setting.default === undefined ? '' : `, default ${setting.default}`;
    return { key: setting.key, option: new Option(`--${setting.flag} <value>`, `${setting.description} (env ${setting.env}${defaultText})`) };
  });
  for (const { option } of options) command.addOption(option);
  return command.action(async (parsed: Record<string, unknown>) => {
    // Commander names a value after its flag (--shutdown-timeout → shutdownTimeout), not after the setting's key.
    const flags: Partial<Record<keyof Config, unknown>> = Object.fromEntries(options.map(({ key, option }) => [key, parsed[option.attributeName()]]));
    // Loaded here, not at the top: `presscloud push` and `--help` need none of the server.
    const { startServer } = await import('../server.js');
    const config = buildConfig(flags, process.env);
    const server = await startServer(config);
    await bootstrapFirstToken(server.backends.metadata);
    server.app.log.info({ url: server.url, database: server.backends.metadata.dialect, blobStore: server.backends.blobs.kind }, 'presscloud serving');
    process.stderr.write(`presscloud: serving on ${server.url} (${server.backends.metadata.dialect} + ${server.backends.blobs.kind}, data ${config.dataDir})\n`);

    let signals = 0;
    const shutdown = (signal: string) => {
      signals += 1;
      if (signals > 1) process.exit(1);
      server.app.log.info({ signal }, 'draining');
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          server.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });
}

/** On first start with an empty database: tenant `default` and one token with both scopes, printed once. */
async function bootstrapFirstToken(metadata: MetadataStore): Promise<void> {
  if ((await metadata.countApiTokens()) > 0) return;
  const token = await issueApiToken(metadata, 'default', ['upload', 'read']);
  process.stdout.write(
    `\nFirst start: created tenant "default" and this API token (scopes upload,read).\n` +
      `It is shown only once; only its hash is kept:\n\n  ${token}\n\n`,
  );
}
