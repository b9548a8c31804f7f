// The index behind GET /v1/manifests: a tenant's manifests in creation order, read newest first.
import type { Kysely, Migration } from 'kysely';

export const manifestList: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('manifests_by_created').on('manifests').columns(['tenant_id', 'created_at', 'id']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('manifests_by_created').ifExists().execute();
  },
};
