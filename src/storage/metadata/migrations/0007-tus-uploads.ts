// Resumable (tus) uploads: one row per upload with its acknowledged offset, the SHA-256 state of those
// bytes, and the partial store's state (an S3 multipart upload's parts and the tail not yet in a part).
// `bytea` is a binary type on PostgreSQL and, on SQLite, a name whose columns keep blobs as they are.
import { sql, type Kysely, type Migration } from 'kysely';

export const tusUploads: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('resumable_uploads')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('length', sql`bigint`, (c) => c.notNull())
      .addColumn('upload_offset', sql`bigint`, (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('mime', 'text')
      .addColumn('hash_state', sql`bytea`)
      .addColumn('store_state', 'text')
      .addColumn('tail', sql`bytea`)
      .addColumn('lease_id', 'text')
      .addColumn('lease_until', 'text')
      .execute();
    await db.schema.createIndex('resumable_uploads_expires_at').on('resumable_uploads').column('expires_at').execute();
    await db.schema.createIndex('resumable_uploads_session').on('resumable_uploads').column('session_id').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('resumable_uploads').ifExists().execute();
  },
};
