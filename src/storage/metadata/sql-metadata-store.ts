// The metadata store over Kysely, one implementation for SQLite and PostgreSQL: migrations and health
// here, each aggregate in its own file (tokens, sessions, manifests, blob ledger, sweeper), and what
// the dialects do differently in dialect/.
import { Migrator, sql, type Kysely, type MigrationResultSet } from 'kysely';
import type {
  AliasWithHistory,
  AliasWrite,
  BlobCommitResult,
  BlobCommitTicket,
  BlobPlaces,
  CompleteOutcome,
  HeldBlob,
  ManifestDeletion,
  ManifestPage,
  ManifestWithFiles,
  MetadataStore,
  NewApiToken,
  NewSession,
  PutContext,
  ReadableBlob,
  RecordedBlob,
  SessionBlobContext,
  SessionCreation,
  SiteManifest,
} from '../../domain/ports/metadata-store.js';
import type { NewResumableUpload, ResumableProgress, ResumableUploadRecord } from '../../domain/ports/resumable-uploads.js';
import type { AliasRecord, ApiTokenRecord, FileEntry, ManifestRecord, SessionRecord, Tenant } from '../../domain/types.js';
import { SqlAliasStore } from './alias-store.js';
import { SqlBlobLedger } from './blob-ledger.js';
import { SqlGarbageSweeper } from './garbage-sweeper.js';
import type { DialectAdapter } from './dialect/dialect-adapter.js';
import { SqlManifestReader } from './manifest-store.js';
import { SqlPutContextReader } from './put-context-reader.js';
import { SqlResumableUploadStore } from './resumable-upload-store.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';
import { SqlSessionStore } from './session-store.js';
import { SqlDatabase } from './sql-database.js';
import { SqlApiTokenStore } from './token-store.js';

export class SqlMetadataStore implements MetadataStore {
  readonly dialect: DialectAdapter['name'];
  private readonly sql: SqlDatabase;
  private readonly tokens: SqlApiTokenStore;
  private readonly sessions: SqlSessionStore;
  private readonly manifests: SqlManifestReader;
  private readonly ledger: SqlBlobLedger;
  private readonly putContexts: SqlPutContextReader;
  private readonly sweeper: SqlGarbageSweeper;
  private readonly aliases: SqlAliasStore;
  private readonly resumable: SqlResumableUploadStore;

  readonly inlineBlobMaxBytes: number;

  /** `smallBlobMaxBytes`: blobs up to this size keep their bytes in the database where the dialect can (0: none). */
  constructor(db: Kysely<Database>, adapter: DialectAdapter, smallBlobMaxBytes: number) {
    this.dialect = adapter.name;
    this.sql = new SqlDatabase(db, adapter);
    this.tokens = new SqlApiTokenStore(this.sql);
    this.sessions = new SqlSessionStore(this.sql);
    this.manifests = new SqlManifestReader(this.sql);
    this.ledger = new SqlBlobLedger(this.sql, smallBlobMaxBytes);
    this.putContexts = new SqlPutContextReader(this.sql);
    this.inlineBlobMaxBytes = this.ledger.inlineBlobMaxBytes;
    this.sweeper = new SqlGarbageSweeper(this.sql);
    this.aliases = new SqlAliasStore(this.sql);
    this.resumable = new SqlResumableUploadStore(this.sql);
  }

  async migrate(): Promise<void> {
    const { error, results } = await this.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      throw new Error(`database migration${failed ? ` ${failed}` : ''} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async checkReady(): Promise<void> {
    await this.sql.run((db) => sql`select 1`.execute(db));
  }

  async close(): Promise<void> {
    await this.sql.db.destroy();
  }

  ensureTenant = (name: string): Promise<Tenant> => this.tokens.ensureTenant(name);
  countApiTokens = (): Promise<number> => this.tokens.countApiTokens();
  createApiToken = (token: NewApiToken): Promise<void> => this.tokens.createApiToken(token);
  findApiTokenByHash = (tokenHash: string): Promise<ApiTokenRecord | null> => this.tokens.findApiTokenByHash(tokenHash);
  revokeApiToken = (idOrHash: string, revokedAt: string): Promise<boolean> => this.tokens.revokeApiToken(idOrHash, revokedAt);
  listApiTokens = (): Promise<ApiTokenRecord[]> => this.tokens.listApiTokens();

  createSession = (session: NewSession): Promise<SessionCreation> => this.sessions.createSession(session);
  getSession = (tenantId: string, sessionId: string): Promise<SessionRecord | null> => this.sessions.getSession(tenantId, sessionId);
  putContext = (tenantId: string, sessionId: string, sha256: string): Promise<PutContext | null> =>
    this.sessions.putContext(tenantId, sessionId, sha256);
  putContextByToken = (
    tokenHash: string,
    sessionId: string,
    sha256: string,
  ): Promise<{ token: ApiTokenRecord; context: PutContext | null } | null> =>
    this.putContexts.putContextByToken(tokenHash, sessionId, sha256);
  sessionBlobs = (tenantId: string, sessionId: string, sha256s: readonly string[]): Promise<Map<string, SessionBlobContext>> =>
    this.sessions.sessionBlobs(tenantId, sessionId, sha256s);
  missingBlobs = (tenantId: string, sessionId: string): Promise<string[]> => this.sessions.missingBlobs(tenantId, sessionId);
  sessionFiles = (sessionId: string): Promise<FileEntry[]> => this.sessions.sessionFiles(sessionId);
  completeSession = (tenantId: string, sessionId: string, manifestId: string, now: string): Promise<CompleteOutcome> =>
    this.sessions.completeSession(tenantId, sessionId, manifestId, now);
  abortSession = (tenantId: string, sessionId: string, now: string): Promise<string | null> =>
    this.sessions.abortSession(tenantId, sessionId, now);

  getManifest = (tenantId: string, manifestId: string): Promise<ManifestWithFiles | null> =>
    this.manifests.getManifest(tenantId, manifestId);
  listManifests = (tenantId: string, page: ManifestPage): Promise<ManifestRecord[]> => this.manifests.listManifests(tenantId, page);

  tenantBlob = (tenantId: string, sha256: string): Promise<HeldBlob | undefined> => this.ledger.tenantBlob(tenantId, sha256);
  readTenantBlob = (tenantId: string, sha256: string): Promise<ReadableBlob | undefined> => this.ledger.readTenantBlob(tenantId, sha256);
  blobPlaces = (): Promise<BlobPlaces> => this.ledger.blobPlaces();
  startBlobCommit = (sha256: string): Promise<BlobCommitTicket> => this.ledger.startBlobCommit(sha256);
  recordBlobs = (blobs: readonly RecordedBlob[]): Promise<BlobCommitResult[]> => this.ledger.recordBlobs(blobs);

  expireSessions = (now: string): Promise<number> => this.sweeper.expireSessions(now);
  purgeSessions = (finishedBefore: string): Promise<number> => this.sweeper.purgeSessions(finishedBefore);
  tombstoneGarbage = (touchedBefore: string, orphans: readonly string[], now: string): Promise<string[]> =>
    this.sweeper.tombstoneGarbage(touchedBefore, orphans, now);
  knownBlobs = (sha256s: readonly string[]): Promise<Set<string>> => this.sweeper.knownBlobs(sha256s);
  forgetBlobs = (sha256s: readonly string[]): Promise<number> => this.sweeper.forgetBlobs(sha256s);

  setAlias = (tenantId: string, name: string, manifestId: string, now: string): Promise<AliasWrite> =>
    this.aliases.setAlias(tenantId, name, manifestId, now);
  listAliases = (tenantId: string): Promise<AliasRecord[]> => this.aliases.listAliases(tenantId);
  getAlias = (tenantId: string, name: string): Promise<AliasWithHistory | null> => this.aliases.getAlias(tenantId, name);
  deleteAlias = (tenantId: string, name: string): Promise<boolean> => this.aliases.deleteAlias(tenantId, name);
  deleteManifest = (tenantId: string, manifestId: string): Promise<ManifestDeletion> => this.aliases.deleteManifest(tenantId, manifestId);
  aliasSite = (name: string): Promise<SiteManifest | null> => this.aliases.aliasSite(name);
  previewSite = (prefix: string): Promise<SiteManifest | null> => this.aliases.previewSite(prefix);
  siteFiles = (site: SiteManifest, paths: readonly string[]): Promise<FileEntry[]> => this.aliases.siteFiles(site, paths);
  blobBytes = (sha256: string): Promise<Uint8Array | null> => this.aliases.blobBytes(sha256);

  createResumableUpload = (upload: NewResumableUpload): Promise<void> => this.resumable.createResumableUpload(upload);
  getResumableUpload = (tenantId: string, uploadId: string): Promise<ResumableUploadRecord | null> =>
    this.resumable.getResumableUpload(tenantId, uploadId);
  leaseResumableUpload = (uploadId: string, leaseId: string, now: string, until: string): Promise<boolean> =>
    this.resumable.leaseResumableUpload(uploadId, leaseId, now, until);
  releaseResumableUpload = (uploadId: string, leaseId: string): Promise<void> => this.resumable.releaseResumableUpload(uploadId, leaseId);
  saveResumableProgress = (uploadId: string, leaseId: string, progress: ResumableProgress): Promise<boolean> =>
    this.resumable.saveResumableProgress(uploadId, leaseId, progress);
  completeResumableUpload = (uploadId: string, length: number): Promise<void> => this.resumable.completeResumableUpload(uploadId, length);
  deleteResumableUpload = (uploadId: string): Promise<void> => this.resumable.deleteResumableUpload(uploadId);
  endedResumableUploads = (now: string, limit: number): Promise<ResumableUploadRecord[]> =>
    this.resumable.endedResumableUploads(now, limit);

  private async migrateToLatest(): Promise<MigrationResultSet> {
    try {
      const migrationTableSchema = await this.sql.adapter.migrationSchema(this.sql.db);
      return await new Migrator({ db: this.sql.db, provider: migrationProvider, migrationTableSchema }).migrateToLatest();
    } catch (error) {
      return { error };
    }
  }
}
