// `presscloud token create|revoke|list`: API tokens, managed straight in the metadata store.
import { Command, Option } from 'commander';
import { issueApiToken } from '../domain/api-tokens.js';
import { hashToken } from '../domain/tokens.js';
import { SCOPES, type Scope } from '../domain/types.js';
import type { MetadataStore } from '../domain/ports/metadata-store.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './cli-error.js';
import type { SettingOptions } from './setting-options.js';
import { requireExistingDatabase, storeOptions } from './store-options.js';

const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function tokenCommand(): Command {
  const token = new Command('token').description('Manage API tokens');

  const create = token
    .command('create')
    .description('Create an API token for a tenant (created if new) and print it, alone, on stdout')
    .requiredOption('--tenant <name>', 'tenant name: 1–64 letters, digits, ".", "_" or "-"')
    .addOption(new Option('--scopes <list>', 'comma-separated scopes: upload, read, publish').default('upload,read'));
  const createStores = storeOptions(create, { blobs: false });
  create.action(async (flags: { tenant: string; scopes: string }) => {
    const scopes = parseScopes(flags.scopes);
    if (!TENANT_NAME.test(flags.tenant)) throw new CliError('--tenant must be 1–64 letters, digits, ".", "_" or "-"', EXIT_USAGE);
    await withMetadata(create, createStores, async (metadata) => {
      process.stdout.write(`${await issueApiToken(metadata, flags.tenant, scopes)}\n`);
    });
  });

  const revoke = token
    .command('revoke')
    .description('Revoke an API token, given the token itself or its id (tok_…)')
    .argument('<token-or-id>', 'the token, or its id as `token list` shows it');
  const revokeStores = storeOptions(revoke, { blobs: false });
  revoke.action(async (tokenOrId: string) => {
    await withMetadata(revoke, revokeStores, async (metadata) => {
      const key = tokenOrId.startsWith('tok_') ? tokenOrId : hashToken(tokenOrId);
      if (!(await metadata.revokeApiToken(key, new Date().toISOString()))) throw new CliError('no live token matches', EXIT_FAILURE);
      process.stderr.write('revoked\n');
    });
  });

  const list = token
    .command('list')
    .description('List tokens: id, tenant, scopes, created, revoked (never the tokens themselves)')
    .option('--json', 'print a JSON array instead of a table');
  const listStores = storeOptions(list, { blobs: false });
  list.action(async (flags: { json?: boolean }) => {
    await withMetadata(list, listStores, async (metadata) => {
      const records = await metadata.listApiTokens();
      if (flags.json) {
        const rows = records.map((r) => ({
          id: r.id,
          tenant: r.tenantName,
          scopes: r.scopes,
          createdAt: r.createdAt,
          revokedAt: r.revokedAt,
        }));
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      // Tab-separated under a header, so `cut -f` and a reader both get it.
      process.stdout.write('ID\tTENANT\tSCOPES\tCREATED\tREVOKED\n');
      for (const r of records) {
        process.stdout.write(`${r.id}\t${r.tenantName}\t${r.scopes.join(',')}\t${r.createdAt}\t${r.revokedAt ?? '-'}\n`);
      }
    });
  });

  return token;
}

function parseScopes(list: string): Scope[] {
  const scopes = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !SCOPES.includes(s as Scope));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new CliError(`--scopes must list upload and/or read${unknown.length ? `, not ${unknown.join(', ')}` : ''}`, EXIT_USAGE);
  }
  return [...new Set(scopes)] as Scope[];
}

async function withMetadata(command: Command, stores: SettingOptions, work: (metadata: MetadataStore) => Promise<void>): Promise<void> {
  const config = stores.config(command);
  await requireExistingDatabase(config);
  const { openMetadataStore } = await import('../runtime.js');
  const metadata = await openMetadataStore(config);
  try {
    await work(metadata);
  } finally {
    await metadata.close();
  }
}
