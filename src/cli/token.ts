// `presscloud token create|revoke|list`: API tokens, managed straight in the metadata store.
import { Command, Option } from 'commander';
import { hashToken } from '../domain/tokens.js';
import { SCOPES, type Scope } from '../domain/types.js';
import { issueApiToken } from '../domain/api-tokens.js';
import type { MetadataStore } from '../domain/ports/metadata-store.js';
import { CliError } from './cli-error.js';
import { addStoreOptions, storeConfig } from './store-options.js';

interface StoreFlags {
  dataDir?: string;
  databaseUrl?: string;
}

export function tokenCommand(): Command {
  const token = new Command('token').description('Manage API tokens');

  addStoreOptions(
    token
      .command('create')
      .description('Create an API token for a tenant (created if new) and print it, alone, on stdout')
      .requiredOption('--tenant <name>', 'tenant name')
      .addOption(new Option('--scopes <list>', 'comma-separated scopes: upload, read').default('upload,read')),
  ).action(async (flags: StoreFlags & { tenant: string; scopes: string }) => {
    const scopes = parseScopes(flags.scopes);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(flags.tenant)) throw new CliError('--tenant must be 1–64 letters, digits, ".", "_" or "-"', 2);
    await withMetadata(flags, async (metadata) => {
      process.stdout.write(`${await issueApiToken(metadata, flags.tenant, scopes)}\n`);
    });
  });

  addStoreOptions(
    token.command('revoke').description('Revoke an API token, given the token itself or its id (tok_…)').argument('<tokenOrId>', 'the token or its id'),
  ).action(async (tokenOrId: string, flags: StoreFlags) => {
    await withMetadata(flags, async (metadata) => {
      const key = tokenOrId.startsWith('tok_') ? tokenOrId : hashToken(tokenOrId);
      if (!(await metadata.revokeApiToken(key, new Date().toISOString()))) throw new CliError('no live token matches', 1);
      process.stderr.write('revoked\n');
    });
  });

  addStoreOptions(token.command('list').description('List tokens: id, tenant, scopes, created, revoked (never the tokens themselves)')).action(async (flags: StoreFlags) => {
    await withMetadata(flags, async (metadata) => {
      for (const record of await metadata.listApiTokens()) {
        process.stdout.write(`${record.id}\t${record.tenantName}\t${record.scopes.join(',')}\t${record.createdAt}\t${record.revokedAt ?? '-'}\n`);
      }
    });
  });

  return token;
}

function parseScopes(list: string): Scope[] {
  const scopes = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !SCOPES.includes(s as Scope));
  if (scopes.length === 0 || unknown.length > 0) throw new CliError(`--scopes must list upload and/or read${unknown.length ? `, not ${unknown.join(', ')}` : ''}`, 2);
  return [...new Set(scopes)] as Scope[];
}

async function withMetadata(flags: StoreFlags, work: (metadata: MetadataStore) => Promise<void>): Promise<void> {
  const { openMetadataStore } = await import('../runtime.js');
  const metadata = await openMetadataStore(storeConfig(flags));
  try {
    await work(metadata);
  } finally {
    await metadata.close();
  }
}
