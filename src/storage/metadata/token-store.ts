// Tenants and their API tokens.
import { randomUUID } from 'node:crypto';
import type { ApiTokenStore, NewApiToken } from '../../domain/ports/metadata-store.js';
import type { ApiTokenRecord, Tenant } from '../../domain/types.js';
import { toTokenRecord } from './rows.js';
import type { SqlDatabase } from './sql-database.js';

export class SqlApiTokenStore implements ApiTokenStore {
  constructor(private readonly sql: SqlDatabase) {}

  ensureTenant(name: string): Promise<Tenant> {
    return this.sql.run(async (db) => {
      await db
        .insertInto('tenants')
        .values({ id: `tn_${randomUUID().replaceAll('-', '')}`, name, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      return db.selectFrom('tenants').select(['id', 'name']).where('name', '=', name).executeTakeFirstOrThrow();
    });
  }

  countApiTokens(): Promise<number> {
    return this.sql.run(async (db) => {
      const row = await db
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return row.n;
    });
  }

  async createApiToken(token: NewApiToken): Promise<void> {
    await this.sql.run((db) =>
      db
        .insertInto('api_tokens')
        .values({
          id: token.id,
          tenant_id: token.tenantId,
          token_hash: token.tokenHash,
          scopes: token.scopes.join(','),
          created_at: token.createdAt,
          revoked_at: null,
        })
        .execute(),
    );
  }

  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null> {
    return this.sql.run(async () => {
      const row = await this.tokenQuery().where('api_tokens.token_hash', '=', tokenHash).executeTakeFirst();
      return row ? toTokenRecord(row) : null;
    });
  }

  revokeApiToken(idOrHash: string, revokedAt: string): Promise<boolean> {
    return this.sql.run(async (db) => {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: revokedAt })
        .where((eb) => eb.or([eb('id', '=', idOrHash), eb('token_hash', '=', idOrHash)]))
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  listApiTokens(): Promise<ApiTokenRecord[]> {
    return this.sql.run(async () => (await this.tokenQuery().orderBy('api_tokens.created_at').execute()).map(toTokenRecord));
  }

  private tokenQuery() {
    return this.sql.db
      .selectFrom('api_tokens')
      .innerJoin('tenants', 'tenants.id', 'api_tokens.tenant_id')
      .select([
        'api_tokens.id',
        'api_tokens.tenant_id',
        'tenants.name as tenant_name',
        'api_tokens.token_hash',
        'api_tokens.scopes',
        'api_tokens.created_at',
        'api_tokens.revoked_at',
      ]);
  }
}
