// A counter of the garbage collections that tombstoned something: a blob commit reads it before its bytes
// go to their key and again when it records its rows, to tell whether a collection may have deleted those
// bytes in between (see BlobIngester).
import { sql, type Kysely, type Migration } from 'kysely';

export const collectionEpoch: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('collection_epoch')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('epoch', 'integer', (c) => c.notNull())
      .execute();
    await sql`insert into collection_epoch (id, epoch) values (1, 0)`.execute(db);
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('collection_epoch').ifExists().execute();
  },
};
