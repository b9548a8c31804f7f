// Garbage collection's side of the metadata: expire and purge sessions, tombstone what nothing needs
// (exclusive of blob commits and session writes), forget the rows once the bytes are gone.
import { sql } from 'kysely';
import type { GarbageSweeper } from '../../domain/ports/metadata-store.js';
import { batches } from './rows.js';
import type { SqlDatabase } from './sql-database.js';

/** Finished sessions purged per transaction: each may carry 100,000 file entries and blob rows. */
const PURGE_BATCH = 50;

export class SqlGarbageSweeper implements GarbageSweeper {
  constructor(private readonly sql: SqlDatabase) {}

  expireSessions(now: string): Promise<number> {
    return this.sql.write('shared', async (tx) => {
      const result = await tx
        .updateTable('upload_sessions')
        .set((eb) => ({ state: 'expired', finished_at: eb.ref('expires_at') }))
        .where('state', '=', 'open')
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  async purgeSessions(finishedBefore: string): Promise<number> {
    let purged = 0;
    for (;;) {
      const count = await this.sql.write('shared', async (tx) => {
        const ids = (
          await tx.selectFrom('upload_sessions').select('id').where('finished_at', '<', finishedBefore).limit(PURGE_BATCH).execute()
        ).map((row) => row.id);
        if (ids.length === 0) return 0;
        await tx.deleteFrom('session_blobs').where('session_id', 'in', ids).execute();
        await tx.deleteFrom('upload_sessions').where('id', 'in', ids).execute();
        return ids.length;
      });
      purged += count;
      if (count < PURGE_BATCH) return purged;
    }
  }

  tombstoneGarbage(touchedBefore: string, orphans: readonly string[], now: string): Promise<string[]> {
    return this.sql.write('exclusive', async (tx) => {
      let tombstoned = 0;
      for (const batch of batches(orphans)) {
        const inserted = await tx
          .insertInto('blobs')
          .values(batch.map((sha256) => ({ sha256, size: 0, created_at: now, touched_at: now, deleting_at: now })))
          .onConflict((oc) => oc.column('sha256').doNothing())
          .executeTakeFirst();
        tombstoned += Number(inserted.numInsertedOrUpdatedRows ?? 0);
      }
      const updated = await tx
        .updateTable('blobs')
        .set({ deleting_at: now })
        .where('deleting_at', 'is', null)
        .where('touched_at', '<', touchedBefore)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('manifest_files').select(sql.lit(1).as('one')).whereRef('manifest_files.sha256', '=', 'blobs.sha256'))),
        )
        // Uncorrelated: the open sessions' blobs are gathered once, not looked up per blob.
        .where('sha256', 'not in', (eb) =>
          eb
            .selectFrom('session_blobs')
            .innerJoin('upload_sessions', 'upload_sessions.id', 'session_blobs.session_id')
            .select('session_blobs.sha256')
            .where('upload_sessions.state', '=', 'open')
            .where('upload_sessions.expires_at', '>', now),
        )
        .executeTakeFirst();
      tombstoned += Number(updated.numUpdatedRows);
      // A blob commit that began before this moment must not trust a missing row: its bytes may go now.
      if (tombstoned > 0)
        await tx
          .updateTable('collection_epoch')
          .set((eb) => ({ epoch: eb('epoch', '+', 1) }))
          .where('id', '=', 1)
          .execute();
      const doomed = tx.selectFrom('blobs').select('sha256').where('deleting_at', 'is not', null);
      await tx.deleteFrom('tenant_blobs').where('sha256', 'in', doomed).execute();
      return (await doomed.execute()).map((r) => r.sha256);
    });
  }

  knownBlobs(sha256s: readonly string[]): Promise<Set<string>> {
    return this.sql.run(async (db) => {
      const known = new Set<string>();
      for (const batch of batches(sha256s)) {
        for (const row of await db.selectFrom('blobs').select('sha256').where('sha256', 'in', batch).execute()) known.add(row.sha256);
      }
      return known;
    });
  }

  async forgetBlobs(sha256s: readonly string[]): Promise<number> {
    const freed = await this.sql.write('exclusive', async (tx) => {
      let bytes = 0;
      for (const batch of batches(sha256s)) {
        const tombstoned = tx.selectFrom('blobs').select('sha256').where('sha256', 'in', batch).where('deleting_at', 'is not', null);
        const kept = await tx
          .selectFrom('blob_bytes')
          .innerJoin('blobs', 'blobs.sha256', 'blob_bytes.sha256')
          .select(sql<string | number>`coalesce(sum(blobs.size), 0)`.as('bytes'))
          .where('blob_bytes.sha256', 'in', tombstoned)
          .executeTakeFirst();
        bytes += Number(kept?.bytes ?? 0);
        await tx.deleteFrom('blob_bytes').where('sha256', 'in', tombstoned).execute();
        await tx.deleteFrom('blobs').where('sha256', 'in', batch).where('deleting_at', 'is not', null).execute();
      }
      return bytes;
    });
    // Deleted small blobs leave free pages; without this the database file would never shrink.
    if (freed > 0) await this.sql.run((db) => this.sql.adapter.reclaimSpace(db));
    return freed;
  }
}
