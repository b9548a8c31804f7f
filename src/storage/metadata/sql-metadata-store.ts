// The metadata store over Kysely: one implementation for SQLite and PostgreSQL.
import { Migrator, sql, type Kysely, type MigrationResultSet, type Transaction } from 'kysely';
import { AppError } from '../../domain/errors.js';
import { comparePaths } from '../../domain/manifest.js';
import type { ApiTokenRecord, FileEntry, ManifestRecord, Scope, SessionRecord, SessionState, Tenant } from '../../domain/types.js';
import type { Dialect } from './database.js';
import type { BlobCommitResult, BlobRecord, CompleteOutcome, ManifestPage, MetadataStore, NewSession, PutContext } from './metadata-store.js';
import { manifestPage } from './manifest-page.js';
import { insertJsonRows } from './json-rows.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';
import { randomUUID } from 'node:crypto';

/** Values per statement for lists of sha256s: well under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH_ROWS = 2000;
/** PostgreSQL advisory lock key shared by blob commits and session writes, taken exclusively by GC. */
const GC_LOCK_KEY = 0x70726573;

type Executor = Kysely<Database> | Transaction<Database>;
type LockMode = 'shared' | 'exclusive';

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P03', '08006', '08001', '08003', '08004', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_BUSY']);

export class SqlMetadataStore implements MetadataStore {
  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: Dialect,
  ) {}

  async migrate(): Promise<void> {
    const { error, results } = await this.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      throw new Error(`database migration${failed ? ` ${failed}` : ''} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async checkReady(): Promise<void> {
    await this.guard(() => sql`select 1`.execute(this.db));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async ensureTenant(name: string): Promise<Tenant> {
    return this.guard(async () => {
      await this.db
        .insertInto('tenants')
        .values({ id: `tn_${randomUUID().replaceAll('-', '')}`, name, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await this.db.selectFrom('tenants').select(['id', 'name']).where('name', '=', name).executeTakeFirstOrThrow();
      return { id: row.id, name: row.name };
    });
  }

  async countApiTokens(): Promise<number> {
    return this.guard(async () => {
      const row = await this.db.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  async createApiToken(token: { id: string; tenantId: string; tokenHash: string; scopes: readonly Scope[]; createdAt: string }): Promise<void> {
    await this.guard(() =>
      this.db
        .insertInto('api_tokens')
        .values({ id: token.id, tenant_id: token.tenantId, token_hash: token.tokenHash, scopes: token.scopes.join(','), created_at: token.createdAt, revoked_at: null })
        .execute(),
    );
  }

  async findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null> {
    return this.guard(async () => {
      const row = await this.tokenQuery().where('api_tokens.token_hash', '=', tokenHash).executeTakeFirst();
      return row ? toTokenRecord(row) : null;
    });
  }

  async revokeApiToken(idOrHash: string, revokedAt: string): Promise<boolean> {
    return this.guard(async () => {
      const result = await this.db
        .updateTable('api_tokens')
        .set({ revoked_at: revokedAt })
        .where((eb) => eb.or([eb('id', '=', idOrHash), eb('token_hash', '=', idOrHash)]))
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    return this.guard(async () => (await this.tokenQuery().orderBy('api_tokens.created_at').execute()).map(toTokenRecord));
  }

  async createSession(session: NewSession): Promise<{ missing: string[] }> {
    return this.writeTx('shared', async (tx) => {
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
          files_json: JSON.stringify([...session.files].sort(byPathCodeUnits).map((f) => [f.path, f.sha256, f.size, f.mime ?? null])),
        })
        .execute();
      // Rows go in key order, so the primary-key index grows at its end instead of splitting pages.
      await insertJsonRows(tx, this.dialect, {
        table: 'session_blobs',
        constants: { session_id: session.id },
        columns: [['ordinal', 'integer'], ['sha256', 'text'], ['size', 'bigint'], ['mime', 'text']],
        rows: session.blobs.map((b, ordinal) => [ordinal, b.sha256, b.size, b.mime] as const).sort((p, q) => compareText(p[1], q[1])),
      });
      // Asking which blobs the tenant holds (often none) spares sorting and returning every row by ordinal.
      const held = await tx
        .selectFrom('tenant_blobs')
        .select('sha256')
        .where('tenant_id', '=', session.tenantId)
        .where('sha256', 'in', (eb) => eb.selectFrom('session_blobs').select('session_blobs.sha256').where('session_blobs.session_id', '=', session.id))
        .execute();
      const heldSha256s = new Set(held.map((row) => row.sha256));
      return { missing: session.blobs.filter((b) => !heldSha256s.has(b.sha256)).map((b) => b.sha256) };
    });
  }

  async getSession(tenantId: string, sessionId: string): Promise<SessionRecord | null> {
    return this.guard(async () => {
      const row = await this.db.selectFrom('upload_sessions').select(SESSION_COLUMNS).where('id', '=', sessionId).where('tenant_id', '=', tenantId).executeTakeFirst();
      return row ? toSessionRecord(row) : null;
    });
  }

  async putContext(tenantId: string, sessionId: string, sha256: string): Promise<PutContext | null> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('upload_sessions')
        .leftJoin('session_blobs', (join) => join.onRef('session_blobs.session_id', '=', 'upload_sessions.id').on('session_blobs.sha256', '=', sha256))
        .leftJoin('tenant_blobs', (join) => join.onRef('tenant_blobs.tenant_id', '=', 'upload_sessions.tenant_id').on('tenant_blobs.sha256', '=', sha256))
        .leftJoin('blobs', (join) => join.onRef('blobs.sha256', '=', 'tenant_blobs.sha256').on('blobs.deleting_at', 'is', null))
        .select(SESSION_COLUMNS.map((column) => `upload_sessions.${column}` as const))
        .select(['session_blobs.size as blob_size', 'session_blobs.mime as blob_mime', 'tenant_blobs.mime as held_mime', 'blobs.size as held_size'])
        .where('upload_sessions.id', '=', sessionId)
        .where('upload_sessions.tenant_id', '=', tenantId)
        .executeTakeFirst();
      if (!row) return null;
      return {
        session: toSessionRecord(row),
        blob: row.blob_size === null ? null : { sha256, size: Number(row.blob_size), mime: row.blob_mime },
        held: row.held_size === null ? undefined : { mime: row.held_mime, size: Number(row.held_size) },
      };
    });
  }

  async missingBlobs(tenantId: string, sessionId: string): Promise<string[]> {
    return this.guard(() => missingIn(this.db, tenantId, sessionId));
  }

  async sessionFiles(sessionId: string): Promise<FileEntry[]> {
    return this.guard(async () => {
      const row = await this.db.selectFrom('upload_sessions').select('files_json').where('id', '=', sessionId).executeTakeFirst();
      return row ? parseFiles(row.files_json).sort(byPath) : [];
    });
  }

  async completeSession(tenantId: string, sessionId: string, manifestId: string, now: string): Promise<CompleteOutcome> {
    return this.writeTx('shared', async (tx) => {
      const session = await this.sessionForUpdate(tx, tenantId, sessionId);
      if (!session) return { kind: 'not_open', state: 'missing' };
      if (session.state === 'completed' && session.manifest_id) {
        return { kind: 'completed', manifest: await manifestIn(tx, tenantId, session.manifest_id) };
      }
      if (session.state !== 'open') return { kind: 'not_open', state: session.state };
      if (session.expires_at <= now) return { kind: 'not_open', state: 'expired' };
      const missing = await missingIn(tx, tenantId, sessionId);
      if (missing.length > 0) return { kind: 'missing', missing };

      const inserted = await tx
        .insertInto('manifests')
        .values({ tenant_id: tenantId, id: manifestId, created_at: now, file_count: session.file_count, total_bytes: 0 })
        .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) {
        const files = parseFiles(session.files_json);
        await insertJsonRows(tx, this.dialect, {
          table: 'manifest_files',
          constants: { tenant_id: tenantId, manifest_id: manifestId },
          columns: [['path', 'text'], ['sha256', 'text'], ['size', 'bigint'], ['mime', 'text']],
          json: session.files_json,
        });
        const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
        await tx.updateTable('manifests').set({ total_bytes: totalBytes }).where('tenant_id', '=', tenantId).where('id', '=', manifestId).execute();
      }
      await tx.updateTable('upload_sessions').set({ state: 'completed', manifest_id: manifestId }).where('id', '=', sessionId).execute();
      return { kind: 'completed', manifest: await manifestIn(tx, tenantId, manifestId) };
    });
  }

  async abortSession(tenantId: string, sessionId: string): Promise<string | null> {
    return this.writeTx('shared', async (tx) => {
      const session = await this.sessionForUpdate(tx, tenantId, sessionId);
      if (!session) return null;
      if (session.state === 'open') await tx.updateTable('upload_sessions').set({ state: 'aborted' }).where('id', '=', sessionId).execute();
      return session.state;
    });
  }

  async tenantBlob(tenantId: string, sha256: string): Promise<{ mime: string | null; size: number } | undefined> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('tenant_blobs')
        .innerJoin('blobs', 'blobs.sha256', 'tenant_blobs.sha256')
        .select(['tenant_blobs.mime', 'blobs.size'])
        .where('tenant_blobs.tenant_id', '=', tenantId)
        .where('tenant_blobs.sha256', '=', sha256)
        .where('blobs.deleting_at', 'is', null)
        .executeTakeFirst();
      return row ? { mime: row.mime, size: Number(row.size) } : undefined;
    });
  }

  async commitBlob(blob: BlobRecord, commitBytes: () => Promise<unknown>): Promise<{ alreadyPresent: boolean }> {
    const [result] = await this.commitBlobs([blob], () => commitBytes());
    if ('error' in result) throw result.error;
    return result;
  }

  async commitBlobs(blobs: readonly BlobRecord[], commitBytes: (index: number) => Promise<unknown>): Promise<BlobCommitResult[]> {
    return this.writeTx('shared', async (tx) => {
      const results: BlobCommitResult[] = new Array(blobs.length);
      const shas = [...new Set(blobs.map((b) => b.sha256))];
      const doomed = new Set<string>();
      for (const batch of batches(shas)) {
        const rows = await tx.selectFrom('blobs').select('sha256').where('sha256', 'in', batch).where('deleting_at', 'is not', null).execute();
        for (const row of rows) doomed.add(row.sha256);
      }
      const committed: number[] = [];
      await Promise.all(
        blobs.map(async (blob, index) => {
          if (doomed.has(blob.sha256)) {
            results[index] = { error: new AppError('storage_unavailable', 'This blob is being garbage-collected; retry in a moment.', { headers: { 'retry-after': '1' } }) };
            return;
          }
          try {
            await commitBytes(index);
            committed.push(index);
          } catch (err) {
            results[index] = { error: err };
          }
        }),
      );
      committed.sort((a, b) => a - b);
      const blobRows = new Map<string, BlobRecord>();
      const tenantRows = new Map<string, BlobRecord>();
      for (const index of committed) {
        const blob = blobs[index];
        if (!blobRows.has(blob.sha256)) blobRows.set(blob.sha256, blob);
        const key = `${blob.tenantId}/${blob.sha256}`;
        if (!tenantRows.has(key)) tenantRows.set(key, blob);
      }
      for (const batch of batches([...blobRows.values()])) {
        await tx
          .insertInto('blobs')
          .values(batch.map((b) => ({ sha256: b.sha256, size: b.size, created_at: b.now, touched_at: b.now, deleting_at: null })))
          .onConflict((oc) => oc.column('sha256').doUpdateSet({ touched_at: (eb) => eb.ref('excluded.touched_at') }))
          .execute();
      }
      const newToTenant = new Set<string>();
      for (const batch of batches([...tenantRows.values()])) {
        const inserted = await tx
          .insertInto('tenant_blobs')
          .values(batch.map((b) => ({ tenant_id: b.tenantId, sha256: b.sha256, mime: b.mime, created_at: b.now })))
          .onConflict((oc) => oc.columns(['tenant_id', 'sha256']).doNothing())
          .returning(['tenant_id', 'sha256'])
          .execute();
        for (const row of inserted) newToTenant.add(`${row.tenant_id}/${row.sha256}`);
      }
      for (const index of committed) {
        const key = `${blobs[index].tenantId}/${blobs[index].sha256}`;
        results[index] = { alreadyPresent: !newToTenant.delete(key) };
      }
      return results;
    });
  }

  async listManifests(tenantId: string, page: ManifestPage): Promise<ManifestRecord[]> {
    return this.guard(() => manifestPage(this.db, tenantId, page));
  }

  async getManifest(tenantId: string, manifestId: string): Promise<(ManifestRecord & { files: FileEntry[] }) | null> {
    return this.guard(async () => {
      const row = await this.db.selectFrom('manifests').selectAll().where('tenant_id', '=', tenantId).where('id', '=', manifestId).executeTakeFirst();
      if (!row) return null;
      const files = await this.db
        .selectFrom('manifest_files')
        .select(['path', 'sha256', 'size', 'mime'])
        .where('tenant_id', '=', tenantId)
        .where('manifest_id', '=', manifestId)
        .execute();
      return { ...toManifestRecord(row), files: files.map(toFileEntry).sort(byPath) };
    });
  }

  async expireSessions(now: string): Promise<number> {
    return this.writeTx('shared', async (tx) => {
      const result = await tx.updateTable('upload_sessions').set({ state: 'expired' }).where('state', '=', 'open').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  async tombstoneGarbage(touchedBefore: string, orphans: readonly string[], now: string): Promise<string[]> {
    return this.writeTx('exclusive', async (tx) => {
      for (const batch of batches(orphans)) {
        await tx
          .insertInto('blobs')
          .values(batch.map((sha256) => ({ sha256, size: 0, created_at: now, touched_at: now, deleting_at: now })))
          .onConflict((oc) => oc.column('sha256').doNothing())
          .execute();
      }
      await tx
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
        .execute();
      const doomed = tx.selectFrom('blobs').select('sha256').where('deleting_at', 'is not', null);
      await tx.deleteFrom('tenant_blobs').where('sha256', 'in', doomed).execute();
      return (await doomed.execute()).map((r) => r.sha256);
    });
  }

  async knownBlobs(sha256s: readonly string[]): Promise<Set<string>> {
    return this.guard(async () => {
      const known = new Set<string>();
      for (const batch of batches(sha256s)) {
        for (const row of await this.db.selectFrom('blobs').select('sha256').where('sha256', 'in', batch).execute()) known.add(row.sha256);
      }
      return known;
    });
  }

  async forgetBlobs(sha256s: readonly string[]): Promise<void> {
    await this.writeTx('exclusive', async (tx) => {
      for (const batch of batches(sha256s)) {
        await tx.deleteFrom('blobs').where('sha256', 'in', batch).where('deleting_at', 'is not', null).execute();
      }
    });
  }

  private async migrateToLatest(): Promise<MigrationResultSet> {
    try {
      const migrator = new Migrator({ db: this.db, provider: migrationProvider, migrationTableSchema: await this.migrationSchema() });
      return await migrator.migrateToLatest();
    } catch (error) {
      return { error };
    }
  }

  /**
   * On PostgreSQL, the schema the tables go to (the first of search_path). Kysely must be told it: left
   * alone, it finds its migration tables in any schema of the database and then fails to read them.
   */
  private async migrationSchema(): Promise<string | undefined> {
    if (this.dialect !== 'postgres') return undefined;
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(this.db);
    const schema = rows[0]?.schema;
    if (!schema) throw new Error('no schema of the PostgreSQL search_path exists; create it first');
    return schema;
  }

  /**
   * The tenant's session, locked until the transaction ends, so a completion and an abort cannot both
   * act on the state they read. SQLite's single writer already gives that; PostgreSQL needs the row lock.
   */
  private sessionForUpdate(tx: Executor, tenantId: string, sessionId: string) {
    return tx
      .selectFrom('upload_sessions')
      .selectAll()
      .where('id', '=', sessionId)
      .where('tenant_id', '=', tenantId)
      .$if(this.dialect === 'postgres', (query) => query.forUpdate())
      .executeTakeFirst();
  }

  private tokenQuery() {
    return this.db
      .selectFrom('api_tokens')
      .innerJoin('tenants', 'tenants.id', 'api_tokens.tenant_id')
      .select(['api_tokens.id', 'api_tokens.tenant_id', 'tenants.name as tenant_name', 'api_tokens.token_hash', 'api_tokens.scopes', 'api_tokens.created_at', 'api_tokens.revoked_at']);
  }

  /**
   * A write transaction. Blob commits and session writes take the collection lock shared; garbage
   * collection takes it exclusively. SQLite has one writer at a time, so BEGIN IMMEDIATE is that lock
   * (and it also keeps a second process, such as `presscloud gc`, from deadlocking on an upgrade).
   */
  private async writeTx<T>(mode: LockMode, work: (tx: Executor) => Promise<T>): Promise<T> {
    return this.guard(async () => {
      if (this.dialect === 'postgres') {
        return this.db.transaction().execute(async (tx) => {
          if (mode === 'exclusive') await sql`select pg_advisory_xact_lock(${GC_LOCK_KEY})`.execute(tx);
          else await sql`select pg_advisory_xact_lock_shared(${GC_LOCK_KEY})`.execute(tx);
          return work(tx);
        });
      }
      return this.db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await work(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (err) {
          await sql`rollback`.execute(conn);
          throw err;
        }
      });
    });
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw databaseError(err);
    }
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

async function manifestIn(q: Executor, tenantId: string, manifestId: string): Promise<ManifestRecord> {
  const row = await q.selectFrom('manifests').selectAll().where('tenant_id', '=', tenantId).where('id', '=', manifestId).executeTakeFirstOrThrow();
  return toManifestRecord(row);
}

function* batches<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += BATCH_ROWS) yield items.slice(i, i + BATCH_ROWS);
}

function byPath(a: FileEntry, b: FileEntry): number {
  return comparePaths(a.path, b.path);
}

/** UTF-16 order: cheaper than comparePaths and close enough where order only helps the indexes. */
function byPathCodeUnits(a: FileEntry, b: FileEntry): number {
  return compareText(a.path, b.path);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toFileEntry(row: { path: string; sha256: string; size: number | string | bigint; mime: string | null }): FileEntry {
  return row.mime === null ? { path: row.path, sha256: row.sha256, size: Number(row.size) } : { path: row.path, sha256: row.sha256, size: Number(row.size), mime: row.mime };
}

/** The files_json column: [path, sha256, size, mime or null] per file. */
function parseFiles(json: string): FileEntry[] {
  return (JSON.parse(json) as Array<[string, string, number, string | null]>).map(([path, sha256, size, mime]) => toFileEntry({ path, sha256, size, mime }));
}

function toManifestRecord(row: { id: string; created_at: string; file_count: number; total_bytes: number | string | bigint }): ManifestRecord {
  return { manifestId: row.id, createdAt: row.created_at, fileCount: Number(row.file_count), totalBytes: Number(row.total_bytes) };
}

/** Every column but files_json, which only completion reads. */
const SESSION_COLUMNS = ['id', 'tenant_id', 'upload_token_hash', 'state', 'created_at', 'expires_at', 'file_count', 'blob_count', 'total_bytes', 'manifest_id'] as const;

function toSessionRecord(row: Omit<Database['upload_sessions'], 'files_json'>): SessionRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    uploadTokenHash: row.upload_token_hash,
    state: row.state as SessionState,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    fileCount: Number(row.file_count),
    blobCount: Number(row.blob_count),
    totalBytes: Number(row.total_bytes),
    manifestId: row.manifest_id,
  };
}

function toTokenRecord(row: { id: string; tenant_id: string; tenant_name: string; token_hash: string; scopes: string; created_at: string; revoked_at: string | null }): ApiTokenRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    tenantName: row.tenant_name,
    tokenHash: row.token_hash,
    scopes: row.scopes.split(',').filter(Boolean) as Scope[],
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** The one place database driver errors become API errors: unreachable or failing means 503. */
function databaseError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (CONNECTION_ERROR_CODES.has(code) || code.startsWith('SQLITE_IOERR') || /connect|terminat|timeout/i.test(err instanceof Error ? err.message : '')) {
    return new AppError('storage_unavailable', 'The metadata database is unavailable; retry later.', { cause: err });
  }
  return err;
}
