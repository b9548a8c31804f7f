// Manifests: read by their tenant; written only by session completion (session-store.ts).
import type { ManifestReader, ManifestWithFiles } from '../../domain/ports/metadata-store.js';
import type { ManifestRecord } from '../../domain/types.js';
import type { Executor } from './dialect/dialect-adapter.js';
import { byPath, toFileEntry, toManifestRecord } from './rows.js';
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
        .select(['path', 'sha256', 'size', 'mime'])
        .where('tenant_id', '=', tenantId)
        .where('manifest_id', '=', manifestId)
        .execute();
      return { ...toManifestRecord(row), files: files.map(toFileEntry).sort(byPath) };
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
