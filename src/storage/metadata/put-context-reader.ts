// A blob PUT's one read: its API token and, for that token's tenant, the session, the blob the session names
// and whether the tenant holds it (what authentication and SessionStore.putContext read, in one query).
import type { PutContext, PutContextByToken } from '../../domain/ports/metadata-store.js';
import type { ApiTokenRecord } from '../../domain/types.js';
import { toSessionRecord, toTokenRecord } from './rows.js';
import type { SqlDatabase } from './sql-database.js';

export class SqlPutContextReader implements PutContextByToken {
  constructor(private readonly sql: SqlDatabase) {}

  putContextByToken(
    tokenHash: string,
    sessionId: string,
    sha256: string,
  ): Promise<{ token: ApiTokenRecord; context: PutContext | null } | null> {
    return this.sql.run(async (db) => {
      const row = await db
        .selectFrom('api_tokens')
        .innerJoin('tenants', 'tenants.id', 'api_tokens.tenant_id')
        .leftJoin('upload_sessions', (join) =>
          join.onRef('upload_sessions.tenant_id', '=', 'api_tokens.tenant_id').on('upload_sessions.id', '=', sessionId),
        )
        .leftJoin('session_blobs', (join) =>
          join.onRef('session_blobs.session_id', '=', 'upload_sessions.id').on('session_blobs.sha256', '=', sha256),
        )
        .leftJoin('tenant_blobs', (join) =>
          join.onRef('tenant_blobs.tenant_id', '=', 'api_tokens.tenant_id').on('tenant_blobs.sha256', '=', sha256),
        )
        .leftJoin('blobs', (join) => join.onRef('blobs.sha256', '=', 'tenant_blobs.sha256').on('blobs.deleting_at', 'is', null))
        .select([
          'api_tokens.id',
          'api_tokens.tenant_id',
          'tenants.name as tenant_name',
          'api_tokens.token_hash',
          'api_tokens.scopes',
          'api_tokens.created_at',
          'api_tokens.revoked_at',
          'upload_sessions.id as session_id',
          'upload_sessions.upload_token_hash',
          'upload_sessions.state',
          'upload_sessions.created_at as session_created_at',
          'upload_sessions.expires_at',
          'upload_sessions.file_count',
          'upload_sessions.blob_count',
          'upload_sessions.total_bytes',
          'upload_sessions.manifest_id',
          'session_blobs.size as blob_size',
          'session_blobs.mime as blob_mime',
          'tenant_blobs.mime as held_mime',
          'blobs.size as held_size',
        ])
        .where('api_tokens.token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) return null;
      const token = toTokenRecord(row);
      if (row.session_id === null) return { token, context: null };
      const session = toSessionRecord({
        id: row.session_id,
        tenant_id: row.tenant_id,
        upload_token_hash: row.upload_token_hash as string,
        state: row.state as string,
        created_at: row.session_created_at as string,
        expires_at: row.expires_at as string,
        file_count: row.file_count as number,
        blob_count: row.blob_count as number,
        total_bytes: row.total_bytes as number,
        manifest_id: row.manifest_id,
      });
      return {
        token,
        context: {
          session,
          blob: row.blob_size === null ? null : { sha256, size: row.blob_size, mime: row.blob_mime },
          held: row.held_size === null ? undefined : { mime: row.held_mime, size: row.held_size },
        },
      };
    });
  }
}
