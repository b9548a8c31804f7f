// Aliases: names unique across the server, each pointed by its tenant at one of its manifests, with
// history; deleting a manifest, which an alias holds; and the indexed lookups site serving makes.
import type {
  AliasStore,
  AliasWithHistory,
  AliasWrite,
  ManifestDeletion,
  SiteManifest,
  SiteReader,
} from '../../domain/ports/metadata-store.js';
import type { AliasRecord, FileEntry } from '../../domain/types.js';
import type { Executor } from './dialect/dialect-adapter.js';
import { FILE_COLUMNS, toFileEntry } from './rows.js';
import type { SqlDatabase } from './sql-database.js';

export class SqlAliasStore implements AliasStore, SiteReader {
  constructor(private readonly sql: SqlDatabase) {}

  setAlias(tenantId: string, name: string, manifestId: string, now: string): Promise<AliasWrite> {
    return this.sql.write('shared', async (tx) => {
      // Locking the manifest's row orders this against a deletion of the manifest.
      if (!(await this.lockManifest(tx, tenantId, manifestId))) return { kind: 'manifest_not_found' };
      const inserted = await tx
        .insertInto('aliases')
        .values({ name, tenant_id: tenantId, manifest_id: manifestId, updated_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('name')
        .executeTakeFirst();
      if (inserted) {
        await tx.insertInto('alias_history').values({ name, seq: 1, manifest_id: manifestId, at: now }).execute();
        return { kind: 'created', alias: { name, manifestId, updatedAt: now } };
      }
      const current = await this.sql.adapter
        .lockRows(tx.selectFrom('aliases').selectAll().where('name', '=', name))
        .executeTakeFirstOrThrow();
      if (current.tenant_id !== tenantId) return { kind: 'taken' };
      if (current.manifest_id === manifestId) return { kind: 'unchanged', alias: toAlias(current) };
      const last = await tx
        .selectFrom('alias_history')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('name', '=', name)
        .executeTakeFirst();
      await tx.updateTable('aliases').set({ manifest_id: manifestId, updated_at: now }).where('name', '=', name).execute();
      await tx
        .insertInto('alias_history')
        .values({ name, seq: Number(last?.seq ?? 0) + 1, manifest_id: manifestId, at: now })
        .execute();
      return { kind: 'updated', alias: { name, manifestId, updatedAt: now } };
    });
  }

  listAliases(tenantId: string): Promise<AliasRecord[]> {
    return this.sql.run(async (db) =>
      (await db.selectFrom('aliases').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute()).map(toAlias),
    );
  }

  getAlias(tenantId: string, name: string): Promise<AliasWithHistory | null> {
    return this.sql.run(async (db) => {
      const row = await db.selectFrom('aliases').selectAll().where('name', '=', name).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (!row) return null;
      const history = await db
        .selectFrom('alias_history')
        .select(['manifest_id', 'at'])
        .where('name', '=', name)
        .orderBy('seq', 'desc')
        .execute();
      return { alias: toAlias(row), history: history.map((change) => ({ manifestId: change.manifest_id, at: change.at })) };
    });
  }

  deleteAlias(tenantId: string, name: string): Promise<boolean> {
    return this.sql.write('shared', async (tx) => {
      const deleted = await tx.deleteFrom('aliases').where('name', '=', name).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return false;
      await tx.deleteFrom('alias_history').where('name', '=', name).execute();
      return true;
    });
  }

  deleteManifest(tenantId: string, manifestId: string): Promise<ManifestDeletion> {
    return this.sql.write('shared', async (tx) => {
      if (!(await this.lockManifest(tx, tenantId, manifestId))) return { kind: 'not_found' };
      const holders = await tx
        .selectFrom('aliases')
        .select('name')
        .where('tenant_id', '=', tenantId)
        .where('manifest_id', '=', manifestId)
        .orderBy('name')
        .execute();
      if (holders.length > 0) return { kind: 'in_use', aliases: holders.map((row) => row.name) };
      await tx.deleteFrom('manifest_files').where('tenant_id', '=', tenantId).where('manifest_id', '=', manifestId).execute();
      await tx.deleteFrom('manifests').where('tenant_id', '=', tenantId).where('id', '=', manifestId).execute();
      return { kind: 'deleted' };
    });
  }

  aliasSite(name: string): Promise<SiteManifest | null> {
    return this.sql.run(async (db) => {
      const row = await db.selectFrom('aliases').select(['tenant_id', 'manifest_id']).where('name', '=', name).executeTakeFirst();
      return row ? { tenantId: row.tenant_id, manifestId: row.manifest_id } : null;
    });
  }

  previewSite(prefix: string): Promise<SiteManifest | null> {
    return this.sql.run(async (db) => {
      // Ids are lowercase hex, so every id with this prefix sorts between the prefix and the prefix + "g".
      const row = await db
        .selectFrom('manifests')
        .select(['tenant_id', 'id'])
        .where('id', '>=', prefix)
        .where('id', '<', `${prefix}g`)
        .limit(1)
        .executeTakeFirst();
      return row ? { tenantId: row.tenant_id, manifestId: row.id } : null;
    });
  }

  siteFiles(site: SiteManifest, paths: readonly string[]): Promise<FileEntry[]> {
    if (paths.length === 0) return Promise.resolve([]);
    return this.sql.run(async (db) =>
      (
        await db
          .selectFrom('manifest_files')
          .select(FILE_COLUMNS)
          .where('tenant_id', '=', site.tenantId)
          .where('manifest_id', '=', site.manifestId)
          .where('path', 'in', [...paths])
          .execute()
      ).map(toFileEntry),
    );
  }

  blobBytes(sha256: string): Promise<Uint8Array | null> {
    return this.sql.run(async (db) => {
      const row = await db.selectFrom('blob_bytes').select('bytes').where('sha256', '=', sha256).executeTakeFirst();
      return row?.bytes ?? null;
    });
  }

  private async lockManifest(tx: Executor, tenantId: string, manifestId: string): Promise<boolean> {
    const row = await this.sql.adapter
      .lockRows(tx.selectFrom('manifests').select('id').where('tenant_id', '=', tenantId).where('id', '=', manifestId))
      .executeTakeFirst();
    return row !== undefined;
  }
}

function toAlias(row: { name: string; manifest_id: string; updated_at: string }): AliasRecord {
  return { name: row.name, manifestId: row.manifest_id, updatedAt: row.updated_at };
}
