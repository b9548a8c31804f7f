// `presscloud alias set|list|show|rollback|delete`: names pointing at manifests, each served as a site.
import { Command } from 'commander';
import type { PressCloudClient } from '../client/client.js';
import { CliError, EXIT_FAILURE } from './cli-error.js';
import { DEFAULT_ATTEMPTS, DEFAULT_STALL_TIMEOUT_SECONDS } from './transfer-common/constants.js';
import { toCliError } from './transfer-common/failure.js';
import { retryPolicyOf, tokenOption, urlOption, validUrl } from './transfer-common/flags.js';
import { ProgressDisplay } from './transfer-common/progress.js';
import { RetryingCalls } from './transfer-common/retrying-calls.js';
import { aliasNameArgument, manifestIdArgument } from './site-flags.js';

interface AliasFlags {
  url: string;
  token: string;
  json?: boolean;
}

type AliasAction = (client: PressCloudClient, calls: RetryingCalls, flags: AliasFlags) => Promise<void>;

const EXIT_CODES = '\nExit codes: 0 done; 1 failed (after retries); 2 usage error, or the token was refused (401/403).';

export function aliasCommand(): Command {
  const alias = new Command('alias').description('Point names at manifests: each alias is a site at NAME.<site-domain>');
  const sub = (name: string, description: string, scope: 'read' | 'publish') =>
    alias
      .command(name)
      .description(description)
      .addOption(urlOption())
      .addOption(tokenOption(scope))
      .option('--json', 'print the JSON answer instead of text')
      .addHelpText('after', EXIT_CODES);

  sub('set', "Point NAME at MANIFEST_ID (one of the token's tenant's manifests) and print the site's URL", 'publish')
    .argument('<name>', 'alias name: a-z, 0-9 and "-", up to 63 characters', aliasNameArgument)
    .argument('<manifestId>', 'the manifest to serve', manifestIdArgument)
    .action((name: string, manifestId: string, flags: AliasFlags) =>
      run(flags, async (client, calls) => {
        const set = await calls.retrying('alias update', (signal) => client.putAlias(name, manifestId, { signal }));
        print(flags, set, `${set.url}\n`);
      }),
    );

  sub('list', "List the tenant's aliases: name, manifest, updated, URL", 'read').action((flags: AliasFlags) =>
    run(flags, async (client, calls) => {
      const { aliases } = await calls.retrying('alias listing', (signal) => client.listAliases({ signal }));
      const rows = aliases.map((a) => `${a.name}\t${a.manifestId}\t${a.updatedAt}\t${a.url}\n`).join('');
      print(flags, aliases, `NAME\tMANIFEST\tUPDATED\tURL\n${rows}`);
    }),
  );

  sub('show', 'Show NAME with its history, newest first', 'read')
    .argument('<name>', 'alias name', aliasNameArgument)
    .action((name: string, flags: AliasFlags) =>
      run(flags, async (client, calls) => {
        const detail = await calls.retrying('alias lookup', (signal) => client.getAlias(name, { signal }));
        const history = detail.history.map((change) => `${change.at}\t${change.manifestId}\n`).join('');
        print(flags, detail, `${detail.name}\t${detail.manifestId}\t${detail.url}\nAT\tMANIFEST\n${history}`);
      }),
    );

  sub('rollback', 'Point NAME back at the newest manifest of its history other than the current one', 'publish')
    .argument('<name>', 'alias name', aliasNameArgument)
    .action((name: string, flags: AliasFlags) =>
      run(flags, async (client, calls) => {
        const detail = await calls.retrying('alias lookup', (signal) => client.getAlias(name, { signal }));
        const previous = detail.history.find((change) => change.manifestId !== detail.manifestId);
        if (!previous)
          throw new CliError(`${name} has pointed only at ${detail.manifestId}: there is nothing to roll back to`, EXIT_FAILURE);
        const set = await calls.retrying('alias update', (signal) => client.putAlias(name, previous.manifestId, { signal }));
        print(flags, set, `${set.url} now serves ${set.manifestId}\n`);
      }),
    );

  sub('delete', 'Delete NAME: its site answers 404 and the name is free again', 'publish')
    .argument('<name>', 'alias name', aliasNameArgument)
    .action((name: string, flags: AliasFlags) =>
      run(flags, async (client) => {
        await client.deleteAlias(name);
        print(flags, { name, deleted: true }, '');
      }),
    );
  return alias;
}

function print(flags: AliasFlags, json: unknown, text: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(json)}\n` : text);
}

async function run(flags: AliasFlags, action: AliasAction): Promise<void> {
  // Loaded here, not at the top: the HTTP client costs start-up that the other commands should not pay.
  const { PressCloudClient } = await import('../client/client.js');
  let client: PressCloudClient | undefined;
  try {
    client = new PressCloudClient({ baseUrl: validUrl(flags.url), token: flags.token, connections: 1 });
    const calls = new RetryingCalls({
      retryPolicy: retryPolicyOf(DEFAULT_ATTEMPTS),
      stallTimeoutMs: DEFAULT_STALL_TIMEOUT_SECONDS * 1000,
      progress: new ProgressDisplay(process.stderr),
    });
    await action(client, calls, flags);
  } catch (err) {
    const failure = toCliError(err, { url: flags.url, attempts: DEFAULT_ATTEMPTS });
    process.stderr.write(`presscloud: ${failure.message}\n`);
    process.exitCode = failure.exitCode;
  } finally {
    await client?.close();
  }
}
