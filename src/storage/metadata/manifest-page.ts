// One page of a tenant's manifests, newest first, by keyset on (created_at, id): a page costs the same however
// deep it is, and manifests completed meanwhile neither repeat nor skip rows of the pages that follow.
import type { Kysely } from 'kysely';
import type { ManifestRecord } from '../../domain/types.js';
import type { ManifestPage } from './metadata-store.js';
import type { Database } from './schema.js';

export async function manifestPage(db: Kysely<Database>, tenantId: string, page: ManifestPage): Promise<ManifestRecord[]> {
  let query = db
    .selectFrom('manifests')
    .select(['id', 'created_at', 'file_count', 'total_bytes'])
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit);
  const { after } = page;
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.manifestId)])]),
    );
  }
  const rows = await query.execute();
  return rows.map((row) => ({ manifestId: row.id, createdAt: row.created_at, fileCount: Number(row.file_count), totalBytes: Number(row.total_bytes) }));
}
