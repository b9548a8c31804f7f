// Manifests: read by their tenant; written only by session completion (session-store.ts).
import type { ManifestPage, ManifestReader, ManifestWithFiles } from '../../domain/ports/metadata-store.js';
import type { ManifestRecord } from '../../domain/types.js';
import type { Executor } from './dialect/dialect-adapter.js';
import { byPath, FILE_COLUMNS, toFileEntry, toManifestRecord } from './rows.js';
import type { SqlDatabase } from './sql-database.js';

export class SqlManifestReader implements ManifestReader {
  constructor(private readonly sql: SqlDatabase) {}

  getManifest(tenantId: string, manifestId: string): Promise<ManifestWithFiles | null> {
    return this.sql.run(async (db) => {
      const row = await db
        .selectFrom('manifests')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', manifestId)
        .executeTakeFirst();
      if (!row) return null;
      const files = await db
        .selectFrom('manifest_files')
        .select(FILE_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('manifest_id', '=', manifestId)
        .execute();
      return { ...toManifestRecord(row), files: files.map(toFileEntry).sort(byPath) };
    });
  }

  /**
   * Keyset pagination on (created_at, id), read backwards along its index: a page costs the same however
   * deep it is, and manifests completed meanwhile neither repeat nor skip rows of the pages that follow.
   */
  listManifests(tenantId: string, page: ManifestPage): Promise<ManifestRecord[]> {
    return this.sql.run(async (db) => {
      let query = db
        .selectFrom('manifests')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit);
      const { after } = page;
      if (after) {
        const { createdAt, manifestId } = after;
        query = query.where((eb) =>
          eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', manifestId)])]),
        );
      }
      return (await query.execute()).map(toManifestRecord);
    });
  }
}

export async function manifestIn(q: Executor, tenantId: string, manifestId: string): Promise<ManifestRecord> {
  const row = await q
    .selectFrom('manifests')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', manifestId)
    .executeTakeFirstOrThrow();
  return toManifestRecord(row);
}
