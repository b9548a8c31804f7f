// Aliases and their history, and the index a preview host finds its manifest by (an id prefix, any tenant).
import type { Kysely, Migration } from 'kysely';

export const aliases: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('aliases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('manifest_id', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // Deleting a manifest asks which of its tenant's aliases point at it.
    await db.schema.createIndex('aliases_by_manifest').on('aliases').columns(['tenant_id', 'manifest_id']).execute();
    await db.schema
      .createTable('alias_history')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('manifest_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('alias_history_pk', ['name', 'seq'])
      .execute();
    await db.schema.createIndex('manifests_by_id').on('manifests').column('id').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('manifests_by_id').ifExists().execute();
    await db.schema.dropTable('alias_history').ifExists().execute();
    await db.schema.dropTable('aliases').ifExists().execute();
  },
};
