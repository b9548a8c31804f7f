// A manifest file's mode (issue 21): "100755" an executable file, "120000" a symlink; null a plain file, which is
// every file of every manifest made before.
import type { Kysely, Migration } from 'kysely';

export const fileModes: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('manifest_files').addColumn('mode', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('manifest_files').dropColumn('mode').execute();
  },
};
