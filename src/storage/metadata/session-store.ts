// Upload sessions: creation with their files and blobs, the PUT's one-read context, completion into a
// manifest, abort.
import { sql } from 'kysely';
import type {
  CompleteOutcome,
  NewSession,
  PutContext,
  SessionBlobContext,
  SessionCreation,
  SessionStore,
} from '../../domain/ports/metadata-store.js';
import type { FileEntry, SessionRecord } from '../../domain/types.js';
import type { Executor } from './dialect/dialect-adapter.js';
import { insertJsonRows } from './json-rows.js';
import { manifestIn } from './manifest-store.js';
import { batches, byPath, compareText, filesJson, parseFiles, SESSION_COLUMNS, toManifestRecord, toSessionRecord } from './rows.js';
import type { SqlDatabase } from './sql-database.js';

/** A new session names a blob its tenant holds with another size. */
class HeldWithAnotherSize {
  constructor(
    readonly sha256: string,
    readonly heldSize: number,
  ) {}
}

export class SqlSessionStore implements SessionStore {
  constructor(private readonly sql: SqlDatabase) {}

  async createSession(session: NewSession): Promise<SessionCreation> {
    try {
      return await this.insertSession(session);
    } catch (err) {
      if (err instanceof HeldWithAnotherSize) return { kind: 'size_conflict', sha256: err.sha256, heldSize: err.heldSize };
      throw err;
    }
  }

  private insertSession(session: NewSession): Promise<SessionCreation> {
    return this.sql.write('shared', async (tx) => {
      await tx
        .insertInto('upload_sessions')
        .values({
          id: session.id,
          tenant_id: session.tenantId,
          upload_token_hash: session.uploadTokenHash,
          state: 'open',
          created_at: session.createdAt,
          expires_at: session.expiresAt,
          file_count: session.files.length,
          blob_count: session.blobs.length,
          total_bytes: session.totalBytes,
          manifest_id: null,
          files_json: filesJson(session.files),
          finished_at: null,
          label: session.label ?? null,
        })
        .execute();
      // Rows go in key order, so the primary-key index grows at its end instead of splitting pages.
      await insertJsonRows(tx, this.sql.adapter, {
        table: 'session_blobs',
        constants: { session_id: session.id },
        columns: [
          ['ordinal', 'integer'],
          ['sha256', 'text'],
          ['size', 'bigint'],
          ['mime', 'text'],
        ],
        rows: session.blobs.map((b, ordinal) => [ordinal, b.sha256, b.size, b.mime] as const).sort((p, q) => compareText(p[1], q[1])),
      });
      // Asking which blobs the tenant holds (often none) spares sorting and returning every row by ordinal.
      const held = await tx
        .selectFrom('tenant_blobs')
        .innerJoin('blobs', 'blobs.sha256', 'tenant_blobs.sha256')
        .select(['tenant_blobs.sha256', 'blobs.size'])
        .where('tenant_blobs.tenant_id', '=', session.tenantId)
        .where('tenant_blobs.sha256', 'in', (eb) =>
          eb.selectFrom('session_blobs').select('session_blobs.sha256').where('session_blobs.session_id', '=', session.id),
        )
        .execute();
      const heldSizes = new Map(held.map((row) => [row.sha256, row.size]));
      const conflict = session.blobs.find((b) => heldSizes.has(b.sha256) && heldSizes.get(b.sha256) !== b.size);
      // Thrown, so the transaction rolls back what it inserted.
      if (conflict) throw new HeldWithAnotherSize(conflict.sha256, heldSizes.get(conflict.sha256) ?? 0);
      return { kind: 'created', missing: session.blobs.filter((b) => !heldSizes.has(b.sha256)).map((b) => b.sha256) };
    });
  }

  getSession(tenantId: string, sessionId: string): Promise<SessionRecord | null> {
    return this.sql.run(async (db) => {
      const row = await db
        .selectFrom('upload_sessions')
        .select(SESSION_COLUMNS)
        .where('id', '=', sessionId)
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      return row ? toSessionRecord(row) : null;
    });
  }

  putContext(tenantId: string, sessionId: string, sha256: string): Promise<PutContext | null> {
    return this.sql.run(async (db) => {
      const row = await db
        .selectFrom('upload_sessions')
        .leftJoin('session_blobs', (join) =>
          join.onRef('session_blobs.session_id', '=', 'upload_sessions.id').on('session_blobs.sha256', '=', sha256),
        )
        .leftJoin('tenant_blobs', (join) =>
          join.onRef('tenant_blobs.tenant_id', '=', 'upload_sessions.tenant_id').on('tenant_blobs.sha256', '=', sha256),
        )
        .leftJoin('blobs', (join) => join.onRef('blobs.sha256', '=', 'tenant_blobs.sha256').on('blobs.deleting_at', 'is', null))
        .select(SESSION_COLUMNS.map((column) => `upload_sessions.${column}` as const))
        .select([
          'session_blobs.size as blob_size',
          'session_blobs.mime as blob_mime',
          'tenant_blobs.mime as held_mime',
          'blobs.size as held_size',
        ])
        .where('upload_sessions.id', '=', sessionId)
        .where('upload_sessions.tenant_id', '=', tenantId)
        .executeTakeFirst();
      if (!row) return null;
      return {
        session: toSessionRecord(row),
        blob: row.blob_size === null ? null : { sha256, size: row.blob_size, mime: row.blob_mime },
        held: row.held_size === null ? undefined : { mime: row.held_mime, size: row.held_size },
      };
    });
  }

  sessionBlobs(tenantId: string, sessionId: string, sha256s: readonly string[]): Promise<Map<string, SessionBlobContext>> {
    return this.sql.run(async (db) => {
      const found = new Map<string, SessionBlobContext>();
      for (const batch of batches([...new Set(sha256s)])) {
        const rows = await db
          .selectFrom('session_blobs')
          .innerJoin('upload_sessions', 'upload_sessions.id', 'session_blobs.session_id')
          .leftJoin('tenant_blobs', (join) =>
            join
              .onRef('tenant_blobs.tenant_id', '=', 'upload_sessions.tenant_id')
              .onRef('tenant_blobs.sha256', '=', 'session_blobs.sha256'),
          )
          .leftJoin('blobs', (join) => join.onRef('blobs.sha256', '=', 'tenant_blobs.sha256').on('blobs.deleting_at', 'is', null))
          .select([
            'session_blobs.sha256',
            'session_blobs.size',
            'session_blobs.mime',
            'tenant_blobs.mime as held_mime',
            'blobs.size as held_size',
          ])
          .where('session_blobs.session_id', '=', sessionId)
          .where('upload_sessions.tenant_id', '=', tenantId)
          .where('session_blobs.sha256', 'in', batch)
          .execute();
        for (const row of rows) {
          found.set(row.sha256, {
            blob: { sha256: row.sha256, size: row.size, mime: row.mime },
            held: row.held_size === null ? undefined : { mime: row.held_mime, size: row.held_size },
          });
        }
      }
      return found;
    });
  }

  missingBlobs(tenantId: string, sessionId: string): Promise<string[]> {
    return this.sql.run((db) => missingIn(db, tenantId, sessionId));
  }

  sessionFiles(sessionId: string): Promise<FileEntry[]> {
    return this.sql.run(async (db) => {
      const row = await db.selectFrom('upload_sessions').select('files_json').where('id', '=', sessionId).executeTakeFirst();
      return row ? parseFiles(row.files_json).sort(byPath) : [];
    });
  }

  completeSession(tenantId: string, sessionId: string, manifestId: string, now: string): Promise<CompleteOutcome> {
    return this.sql.write('shared', async (tx) => {
      const session = await this.sessionForUpdate(tx, tenantId, sessionId);
      if (!session) return { kind: 'not_open', state: 'missing' };
      if (session.state === 'completed' && session.manifest_id) {
        // Its manifest may have been deleted since (DELETE /v1/manifests/{manifestId}): then it completes no more.
        const manifest = await tx
          .selectFrom('manifests')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('id', '=', session.manifest_id)
          .executeTakeFirst();
        return manifest ? { kind: 'completed', manifest: toManifestRecord(manifest) } : { kind: 'not_open', state: 'completed' };
      }
      if (session.state !== 'open') return { kind: 'not_open', state: session.state };
      if (session.expires_at <= now) return { kind: 'not_open', state: 'expired' };
      const missing = await missingIn(tx, tenantId, sessionId);
      if (missing.length > 0) return { kind: 'missing', missing };

      const inserted = await tx
        .insertInto('manifests')
        .values({
          tenant_id: tenantId,
          id: manifestId,
          created_at: now,
          file_count: session.file_count,
          total_bytes: 0,
          label: session.label ?? null,
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) {
        await insertJsonRows(tx, this.sql.adapter, {
          table: 'manifest_files',
          constants: { tenant_id: tenantId, manifest_id: manifestId },
          columns: [
            ['path', 'text'],
            ['sha256', 'text'],
            ['size', 'bigint'],
            ['mime', 'text'],
            ['mode', 'text'],
          ],
          json: session.files_json,
        });
        const totalBytes = parseFiles(session.files_json).reduce((sum, file) => sum + file.size, 0);
        await tx
          .updateTable('manifests')
          .set({ total_bytes: totalBytes })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', manifestId)
          .execute();
      }
      await tx
        .updateTable('upload_sessions')
        .set({ state: 'completed', manifest_id: manifestId, finished_at: now })
        .where('id', '=', sessionId)
        .execute();
      return { kind: 'completed', manifest: await manifestIn(tx, tenantId, manifestId) };
    });
  }

  abortSession(tenantId: string, sessionId: string, now: string): Promise<string | null> {
    return this.sql.write('shared', async (tx) => {
      const session = await this.sessionForUpdate(tx, tenantId, sessionId);
      if (!session) return null;
      if (session.state === 'open')
        await tx.updateTable('upload_sessions').set({ state: 'aborted', finished_at: now }).where('id', '=', sessionId).execute();
      return session.state;
    });
  }

  /** The tenant's session, locked until the transaction ends, so a completion and an abort cannot both act on what they read. */
  private sessionForUpdate(tx: Executor, tenantId: string, sessionId: string) {
    return this.sql.adapter
      .lockRows(tx.selectFrom('upload_sessions').selectAll().where('id', '=', sessionId).where('tenant_id', '=', tenantId))
      .executeTakeFirst();
  }
}

async function missingIn(q: Executor, tenantId: string, sessionId: string): Promise<string[]> {
  const rows = await q
    .selectFrom('session_blobs')
    .select('session_blobs.sha256')
    .where('session_blobs.session_id', '=', sessionId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('tenant_blobs')
            .select(sql.lit(1).as('one'))
            .where('tenant_blobs.tenant_id', '=', tenantId)
            .whereRef('tenant_blobs.sha256', '=', 'session_blobs.sha256'),
        ),
      ),
    )
    .orderBy('session_blobs.ordinal')
    .execute();
  return rows.map((r) => r.sha256);
}
