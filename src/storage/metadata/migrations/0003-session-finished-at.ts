// When a session stopped being open (completed, aborted or expired), so that garbage collection can purge
// it once the retention period has passed. Sessions already finished count from their expiry.
import { sql, type Kysely, type Migration } from 'kysely';

export const sessionFinishedAt: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('upload_sessions').addColumn('finished_at', 'text').execute();
    await sql`update upload_sessions set finished_at = expires_at where state <> 'open'`.execute(db);
    await db.schema.createIndex('upload_sessions_finished_at').on('upload_sessions').column('finished_at').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('upload_sessions_finished_at').ifExists().execute();
    await db.schema.alterTable('upload_sessions').dropColumn('finished_at').execute();
  },
};
