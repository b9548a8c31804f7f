// The first schema: tenants and tokens, physical blobs and per-tenant presence, sessions, manifests.
import { sql, type Kysely, type Migration } from 'kysely';

export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('tenants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .execute();

    await db.schema
      .createTable('blobs')
      .addColumn('sha256', 'text', (c) => c.primaryKey())
      .addColumn('size', sql`bigint`, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('touched_at', 'text', (c) => c.notNull())
      .addColumn('deleting_at', 'text')
      .execute();

    await db.schema
      .createTable('tenant_blobs')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('mime', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('tenant_blobs_pk', ['tenant_id', 'sha256'])
      .execute();
    await db.schema.createIndex('tenant_blobs_sha256').on('tenant_blobs').column('sha256').execute();

    await db.schema
      .createTable('upload_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('upload_token_hash', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('file_count', 'integer', (c) => c.notNull())
      .addColumn('blob_count', 'integer', (c) => c.notNull())
      .addColumn('total_bytes', sql`bigint`, (c) => c.notNull())
      .addColumn('manifest_id', 'text')
      // The session's file list, as a JSON array of [path, sha256, size, mime]: read back whole, only
      // to complete the session, so one value is cheaper than 100,000 indexed rows.
      .addColumn('files_json', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('upload_sessions_state_expires').on('upload_sessions').columns(['state', 'expires_at']).execute();

    await db.schema
      .createTable('session_blobs')
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('ordinal', 'integer', (c) => c.notNull())
      .addColumn('size', sql`bigint`, (c) => c.notNull())
      .addColumn('mime', 'text')
      .addPrimaryKeyConstraint('session_blobs_pk', ['session_id', 'sha256'])
      .execute();

    await db.schema
      .createTable('manifests')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('file_count', 'integer', (c) => c.notNull())
      .addColumn('total_bytes', sql`bigint`, (c) => c.notNull())
      .addPrimaryKeyConstraint('manifests_pk', ['tenant_id', 'id'])
      .execute();

    await db.schema
      .createTable('manifest_files')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('manifest_id', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('size', sql`bigint`, (c) => c.notNull())
      .addColumn('mime', 'text')
      .addPrimaryKeyConstraint('manifest_files_pk', ['tenant_id', 'manifest_id', 'path'])
      .execute();
    await db.schema.createIndex('manifest_files_sha256').on('manifest_files').column('sha256').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of [
      'manifest_files',
      'manifests',
      'session_blobs',
      'upload_sessions',
      'tenant_blobs',
      'blobs',
      'api_tokens',
      'tenants',
    ]) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
