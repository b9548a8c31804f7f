// `presscloud manifests`: the tenant's manifests, newest first, as a table or JSON.
import { Command, Option } from 'commander';
import type { ManifestSummary } from '../api/types.js';
import type { PressCloudClient } from '../client/client.js';
import { DEFAULT_ATTEMPTS, DEFAULT_STALL_TIMEOUT_SECONDS } from './transfer-common/constants.js';
import { toCliError } from './transfer-common/failure.js';
import { integerIn, retryPolicyOf, tokenOption, urlOption, validUrl } from './transfer-common/flags.js';
import { ProgressDisplay } from './transfer-common/progress.js';
import { RetryingCalls } from './transfer-common/retrying-calls.js';
import { checkServer } from './transfer-common/server-check.js';

interface ManifestsFlags {
  url: string;
  token: string;
  limit: number;
  json?: boolean;
}

/** The API's largest page (`?limit=`); a longer listing takes several. */
const MAX_PAGE = 1000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000_000;

export function manifestsCommand(): Command {
  return new Command('manifests')
    .description("List the token's tenant's manifests, newest first: id, created, files, bytes, label")
    .addOption(urlOption())
    .addOption(tokenOption('read'))
    .addOption(new Option('--limit <n>', 'list at most this many').argParser(integerIn(1, MAX_LIMIT)).default(DEFAULT_LIMIT))
    .option('--json', 'print a JSON array instead of a table')
    .addHelpText('after', '\nExit codes: 0 listed; 1 failed (after retries); 2 usage error, or the token was refused (401/403).')
    .action(async (flags: ManifestsFlags) => {
      try {
        await runManifests(flags);
      } catch (err) {
        const failure = toCliError(err, { url: flags.url, attempts: DEFAULT_ATTEMPTS });
        process.stderr.write(`presscloud: ${failure.message}\n`);
        process.exitCode = failure.exitCode;
      }
    });
}

async function runManifests(flags: ManifestsFlags): Promise<void> {
  // Loaded here, not at the top: the HTTP client costs start-up that the other commands should not pay.
  const { PressCloudClient } = await import('../client/client.js');
  const client = new PressCloudClient({ baseUrl: validUrl(flags.url), token: flags.token, connections: 1 });
  const calls = new RetryingCalls({
    retryPolicy: retryPolicyOf(DEFAULT_ATTEMPTS),
    stallTimeoutMs: DEFAULT_STALL_TIMEOUT_SECONDS * 1000,
    progress: new ProgressDisplay(process.stderr),
  });
  try {
    await checkServer(client, calls, 'read');
    const { manifests, more } = await newestManifests(client, calls, flags.limit);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(manifests)}\n`);
    } else {
      // Tab-separated under a header, like `token list`: `cut -f` and a reader both get it.
      process.stdout.write('MANIFEST\tCREATED\tFILES\tBYTES\tLABEL\n');
      for (const m of manifests) {
        process.stdout.write(`${m.manifestId}\t${m.createdAt}\t${m.fileCount}\t${m.totalBytes}\t${m.label ?? ''}\n`);
      }
    }
    if (more) process.stderr.write(`older manifests follow; raise --limit (${flags.limit}) to list them\n`);
  } finally {
    await client.close();
  }
}

/** Pages through the list with its cursor until `limit` manifests or the end. */
async function newestManifests(
  client: PressCloudClient,
  calls: RetryingCalls,
  limit: number,
): Promise<{ manifests: ManifestSummary[]; more: boolean }> {
  const manifests: ManifestSummary[] = [];
  let cursor: string | undefined;
  do {
    const pageLimit = Math.min(MAX_PAGE, limit - manifests.length);
    const page = await calls.retrying('manifest listing', (signal) => client.listManifests({ limit: pageLimit, cursor, signal }));
    manifests.push(...page.manifests);
    cursor = page.nextCursor;
  } while (cursor !== undefined && manifests.length < limit);
  return { manifests, more: cursor !== undefined };
}
