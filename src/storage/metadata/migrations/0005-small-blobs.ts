// Small blobs' bytes, kept in the database beside their rows where the dialect keeps blob bytes
// (SQLite; see DialectAdapter.keepsBlobBytes). Elsewhere the table exists and stays empty.
import type { Kysely, Migration } from 'kysely';

export const smallBlobs: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // bytea: PostgreSQL's byte type; SQLite keeps a bound Buffer as a BLOB whatever the declared type.
    await db.schema
      .createTable('blob_bytes')
      .addColumn('sha256', 'text', (c) => c.primaryKey())
      .addColumn('bytes', 'bytea', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('blob_bytes').ifExists().execute();
  },
};
