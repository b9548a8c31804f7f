// Resumable (tus) uploads: their rows, the lease that lets one PATCH at a time write an upload (on any
// instance), and progress recorded only by the lease's holder.
import type { Selectable } from 'kysely';
import type {
  NewResumableUpload,
  ResumableProgress,
  ResumableUploadRecord,
  ResumableUploadStore,
} from '../../domain/ports/resumable-uploads.js';
import type { ResumableUploadsTable } from './schema.js';
import type { SqlDatabase } from './sql-database.js';

export class SqlResumableUploadStore implements ResumableUploadStore {
  constructor(private readonly sql: SqlDatabase) {}

  async createResumableUpload(upload: NewResumableUpload): Promise<void> {
    await this.sql.run((db) =>
      db
        .insertInto('resumable_uploads')
        .values({
          id: upload.id,
          tenant_id: upload.tenantId,
          session_id: upload.sessionId,
          sha256: upload.sha256,
          length: upload.length,
          upload_offset: 0,
          state: 'receiving',
          created_at: upload.createdAt,
          expires_at: upload.expiresAt,
          store_state: upload.storeState,
        })
        .execute(),
    );
  }

  getResumableUpload(tenantId: string, uploadId: string): Promise<ResumableUploadRecord | null> {
    return this.sql.run(async (db) => {
      const row = await db
        .selectFrom('resumable_uploads')
        .selectAll()
        .where('id', '=', uploadId)
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      return row ? recordOf(row) : null;
    });
  }

  leaseResumableUpload(uploadId: string, leaseId: string, now: string, until: string): Promise<boolean> {
    return this.sql.run(async (db) => {
      const result = await db
        .updateTable('resumable_uploads')
        .set({ lease_id: leaseId, lease_until: until })
        .where('id', '=', uploadId)
        .where((eb) => eb.or([eb('lease_id', 'is', null), eb('lease_id', '=', leaseId), eb('lease_until', '<', now)]))
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  async releaseResumableUpload(uploadId: string, leaseId: string): Promise<void> {
    await this.sql.run((db) =>
      db
        .updateTable('resumable_uploads')
        .set({ lease_id: null, lease_until: null })
        .where('id', '=', uploadId)
        .where('lease_id', '=', leaseId)
        .execute(),
    );
  }

  saveResumableProgress(uploadId: string, leaseId: string, progress: ResumableProgress): Promise<boolean> {
    return this.sql.run(async (db) => {
      const result = await db
        .updateTable('resumable_uploads')
        .set({
          upload_offset: progress.offset,
          hash_state: Buffer.from(progress.hashState),
          mime: progress.mime,
          store_state: progress.storeState,
          tail: progress.tail === null ? null : Buffer.from(progress.tail),
        })
        .where('id', '=', uploadId)
        .where('lease_id', '=', leaseId)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  async completeResumableUpload(uploadId: string, length: number): Promise<void> {
    await this.sql.run((db) =>
      db
        .updateTable('resumable_uploads')
        .set({ state: 'completed', upload_offset: length, hash_state: null, store_state: null, tail: null })
        .where('id', '=', uploadId)
        .execute(),
    );
  }

  async deleteResumableUpload(uploadId: string): Promise<void> {
    await this.sql.run((db) => db.deleteFrom('resumable_uploads').where('id', '=', uploadId).execute());
  }

  endedResumableUploads(now: string, limit: number): Promise<ResumableUploadRecord[]> {
    return this.sql.run(async (db) => {
      const rows = await db
        .selectFrom('resumable_uploads')
        .selectAll('resumable_uploads')
        .leftJoin('upload_sessions', 'upload_sessions.id', 'resumable_uploads.session_id')
        .where((eb) =>
          eb.or([
            eb('resumable_uploads.expires_at', '<=', now),
            eb('upload_sessions.id', 'is', null),
            eb('upload_sessions.state', '<>', 'open'),
          ]),
        )
        .limit(limit)
        .execute();
      return rows.map(recordOf);
    });
  }
}

function recordOf(row: Selectable<ResumableUploadsTable>): ResumableUploadRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    sessionId: row.session_id,
    sha256: row.sha256,
    length: row.length,
    offset: row.upload_offset,
    state: row.state === 'completed' ? 'completed' : 'receiving',
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    mime: row.mime,
    hashState: row.hash_state,
    storeState: row.store_state,
    tail: row.tail,
  };
}
