// A manifest's label (the pushed folder's name by default): asked for at session creation, kept by the session,
// and given to the manifest its completion creates. Null for everything made before.
import type { Kysely, Migration } from 'kysely';

export const manifestLabel: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('upload_sessions').addColumn('label', 'text').execute();
    await db.schema.alterTable('manifests').addColumn('label', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('manifests').dropColumn('label').execute();
    await db.schema.alterTable('upload_sessions').dropColumn('label').execute();
  },
};
