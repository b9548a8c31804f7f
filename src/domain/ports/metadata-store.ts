// The metadata port, owned by the domain and implemented by storage/metadata/ over SQLite and PostgreSQL:
// small role interfaces (after distribution's BlobStatter/BlobIngester), each consumer asking for the ones
// it uses, and MetadataStore, all of them, which one class implements.
//
// Every method throws AppError('storage_unavailable') when the database cannot be reached, and every
// write is atomic: it happens whole or not at all.
import type { ResumableUploadStore } from './resumable-uploads.js';
import type {
  AliasChange,
  AliasRecord,
  ApiTokenRecord,
  FileEntry,
  ManifestRecord,
  Scope,
  SessionBlob,
  SessionRecord,
  Tenant,
} from '../types.js';

export interface NewSession {
  readonly id: string;
  readonly tenantId: string;
  readonly uploadTokenHash: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly files: readonly FileEntry[];
  /** The distinct blobs of `files`, in manifest order. */
  readonly blobs: readonly SessionBlob[];
  readonly totalBytes: number;
  /** Given to the manifest the session's completion creates. */
  readonly label?: string | null;
}

export interface NewApiToken {
  readonly id: string;
  readonly tenantId: string;
  readonly tokenHash: string;
  readonly scopes: readonly Scope[];
  readonly createdAt: string;
}

export interface BlobRecord {
  readonly tenantId: string;
  readonly sha256: string;
  readonly size: number;
  readonly mime: string | null;
  readonly now: string;
}

/** A blob as its tenant holds it: the mime it is served with and its size. */
export interface HeldBlob {
  readonly mime: string | null;
  readonly size: number;
}

/** A held blob with its bytes when the database keeps them (a small blob); null: they are in the blob store. */
export interface ReadableBlob extends HeldBlob {
  readonly bytes: Uint8Array | null;
}

/** How many blobs, and how many bytes of them, live in each place. */
export interface BlobPlaces {
  /** Kept in the metadata database with their rows (small blobs on SQLite). */
  readonly database: { readonly blobs: number; readonly bytes: number };
  /** In the blob store (files or S3). */
  readonly store: { readonly blobs: number; readonly bytes: number };
}

export interface PutContext {
  readonly session: SessionRecord;
  readonly blob: SessionBlob | null;
  readonly held: HeldBlob | undefined;
}

/** A blob a session names, and whether its tenant holds it: PutContext's blob and held, for one of many. */
export interface SessionBlobContext {
  readonly blob: SessionBlob;
  readonly held: HeldBlob | undefined;
}

export interface ManifestPage {
  /** Most manifests to return. */
  readonly limit: number;
  /** Start after this manifest (the last one of the previous page), in newest-first order. */
  readonly after?: { readonly createdAt: string; readonly manifestId: string };
}

export type BlobCommitResult = { readonly alreadyPresent: boolean } | { readonly error: unknown };

export type SessionCreation =
  | { readonly kind: 'created'; readonly missing: string[] }
  /** The tenant already holds `sha256` with `heldSize` bytes, not the size the session declares; nothing was stored. */
  | { readonly kind: 'size_conflict'; readonly sha256: string; readonly heldSize: number };

export type CompleteOutcome =
  | { readonly kind: 'completed'; readonly manifest: ManifestRecord }
  | { readonly kind: 'missing'; readonly missing: string[] }
  | { readonly kind: 'not_open'; readonly state: string };

export type ManifestWithFiles = ManifestRecord & { files: FileEntry[] };

/** The database itself: its dialect, schema and health. */
export interface MetadataLifecycle {
  readonly dialect: 'sqlite' | 'postgres';
  /** Brings the schema up to date; safe when several instances start at once. */
  migrate(): Promise<void>;
  checkReady(): Promise<void>;
  close(): Promise<void>;
}

/** What authentication needs: a token by its hash. */
export interface ApiTokenFinder {
  /** The token with this hash, revoked or not; null when unknown. */
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null>;
}

/** Tenants and their API tokens, for `presscloud token` and the first start's bootstrap. */
export interface ApiTokenStore extends ApiTokenFinder {
  /** Returns the tenant with this name, creating it if needed (idempotent, race-safe). */
  ensureTenant(name: string): Promise<Tenant>;
  countApiTokens(): Promise<number>;
  createApiToken(token: NewApiToken): Promise<void>;
  /** Revokes by token id or token hash; false when no live token matched. */
  revokeApiToken(idOrHash: string, revokedAt: string): Promise<boolean>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
}

/** A blob PUT's whole read, so the PUT costs one query before its commit, not two. */
export interface PutContextByToken {
  /**
   * The API token with this hash (revoked or not) and, for its tenant, what putContext answers (null where
   * putContext would); null when no token has this hash.
   */
  putContextByToken(
    tokenHash: string,
    sessionId: string,
    sha256: string,
  ): Promise<{ token: ApiTokenRecord; context: PutContext | null } | null>;
}

/** Upload sessions, from creation to completion into a manifest or abort. */
export interface SessionStore {
  /**
   * Stores the session with its files and blobs and returns the sha256s this tenant lacks, in manifest
   * order; or, storing nothing, the first blob (in manifest order) this tenant holds with another size.
   */
  createSession(session: NewSession): Promise<SessionCreation>;
  /** The tenant's session, or null (also for another tenant's). */
  getSession(tenantId: string, sessionId: string): Promise<SessionRecord | null>;
  /**
   * Everything a blob PUT checks, in one read: the tenant's session (null as getSession), the blob the
   * session names with this sha256 (null when it names none), and whether the tenant holds it (as tenantBlob).
   */
  putContext(tenantId: string, sessionId: string, sha256: string): Promise<PutContext | null>;
  /**
   * What a batch checks for each of its parts, for many parts in one read: each of `sha256s` (lowercase)
   * that the tenant's session names, with whether the tenant holds it (as putContext). A sha256 the session
   * does not name, or any sha256 of another tenant's or an unknown session, is absent from the map.
   */
  sessionBlobs(tenantId: string, sessionId: string, sha256s: readonly string[]): Promise<Map<string, SessionBlobContext>>;
  /** The session's blobs that its tenant does not hold yet, in manifest order. */
  missingBlobs(tenantId: string, sessionId: string): Promise<string[]>;
  /** The session's files sorted by path (for the manifest id). */
  sessionFiles(sessionId: string): Promise<FileEntry[]>;
  /**
   * Freezes an open session into the manifest `manifestId` if no blob is missing, atomically; a
   * session already completed answers its manifest again.
   */
  completeSession(tenantId: string, sessionId: string, manifestId: string, now: string): Promise<CompleteOutcome>;
  /** Open → aborted at `now`; returns the state the session had (null when absent). */
  abortSession(tenantId: string, sessionId: string, now: string): Promise<string | null>;
}

export interface ManifestReader {
  /** The tenant's manifest with its files sorted by path; null when the tenant has none of that id. */
  getManifest(tenantId: string, manifestId: string): Promise<ManifestWithFiles | null>;
  /** The tenant's manifests, newest first (ties by manifest id, descending); [] past the last one. */
  listManifests(tenantId: string, page: ManifestPage): Promise<ManifestRecord[]>;
}

/** Whether a tenant holds a blob. */
export interface BlobStatter {
  /** The tenant's blob (mime and size), or undefined when the tenant does not hold it or it is being collected. */
  tenantBlob(tenantId: string, sha256: string): Promise<HeldBlob | undefined>;
  /** tenantBlob() with the bytes, in the same read, when the database keeps them. */
  readTenantBlob(tenantId: string, sha256: string): Promise<ReadableBlob | undefined>;
}

/** What /metrics reports about where blobs live. */
export interface BlobCensus {
  /** Live blobs (not tombstoned) and their bytes, by place. */
  blobPlaces(): Promise<BlobPlaces>;
}

/**
 * What a blob commit learned before its bytes went to their key, handed back when its rows are recorded:
 * how many collections had tombstoned anything by then.
 */
export interface BlobCommitTicket {
  readonly collectionEpoch: number;
}

/**
 * A verified blob to record: either its bytes went to the blob store first (`ticket` from startBlobCommit),
 * or it is small and its `bytes` go into the database in the same transaction as its rows.
 */
export type RecordedBlob = BlobRecord &
  ({ readonly ticket: BlobCommitTicket; readonly bytes?: undefined } | { readonly bytes: Uint8Array; readonly ticket?: undefined });

/**
 * Recording verified blobs, in two steps around the bytes so that no transaction ever waits on the blob
 * store: startBlobCommit before the bytes go to their key, recordBlobs once they are durable there. A
 * crash between the two leaves bytes without rows, which garbage collection removes; never rows without
 * bytes.
 */
export interface BlobIngester {
  /**
   * Largest blob whose bytes recordBlobs takes with its rows (no startBlobCommit, no blob store); 0 when
   * this database keeps no bytes. Such a blob is durable, bytes and rows, with its group's one commit.
   */
  readonly inlineBlobMaxBytes: number;
  /**
   * Before the bytes go to their key (a read, no transaction): storage_unavailable (retryable) while a
   * collection is deleting the blob, else the ticket recordBlobs checks.
   */
  startBlobCommit(sha256: string): Promise<BlobCommitTicket>;
  /**
   * After the bytes are durable at their key: records that each blob is stored and that its tenant holds
   * it, in one short transaction (group commit: one durable commit for the batch). A blob gets
   * storage_unavailable (retryable) and no rows when a collection tombstoned it, or when it has no row and
   * a collection tombstoned anything since its ticket (its bytes may have been deleted and their row
   * forgotten in between). alreadyPresent: the tenant held it before; of several entries for one tenant
   * and blob, the first that is new to the tenant answers false. A blob given with `bytes` (at most
   * inlineBlobMaxBytes) keeps them in the database when it had no row; a live row means its bytes are
   * already stored (in the database or the blob store) and they are not written again.
   */
  recordBlobs(blobs: readonly RecordedBlob[]): Promise<BlobCommitResult[]>;
}

/**
 * Garbage collection's side of the tombstone protocol: tombstone exclusively, delete the bytes, then
 * forget the rows.
 */
export interface GarbageSweeper {
  /** Marks open sessions past their expiry as expired (finished at their expiry); returns how many. */
  expireSessions(now: string): Promise<number>;
  /**
   * Deletes the sessions that finished (completed, aborted or expired) before `finishedBefore`, with their
   * file lists and blob lists, in short transactions; manifests stay. Returns how many.
   */
  purgeSessions(finishedBefore: string): Promise<number>;
  /**
   * Tombstones the blobs that no manifest and no open session names and that no PUT touched since
   * `touchedBefore`, together with `orphans` (keys in the store without a row, seen by the caller),
   * and drops every tenant's presence of them — one transaction, exclusive of blob commits and
   * session changes, which moves the collection epoch on when it tombstones anything new. Returns
   * every tombstoned sha256 (earlier runs' leftovers included).
   */
  tombstoneGarbage(touchedBefore: string, orphans: readonly string[], now: string): Promise<string[]>;
  /** Which of these sha256s have a row (live or tombstoned). */
  knownBlobs(sha256s: readonly string[]): Promise<Set<string>>;
  /**
   * Deletes the tombstoned rows once their blob-store bytes are gone, with the bytes the database kept for
   * them, and returns how many such bytes it deleted; then hands freed space back where the dialect can.
   */
  forgetBlobs(sha256s: readonly string[]): Promise<number>;
}

export type AliasWrite =
  | { readonly kind: 'created' | 'updated' | 'unchanged'; readonly alias: AliasRecord }
  | { readonly kind: 'manifest_not_found' }
  /** Another tenant holds the name. */
  | { readonly kind: 'taken' };

export type ManifestDeletion =
  | { readonly kind: 'deleted' }
  | { readonly kind: 'not_found' }
  /** Nothing was deleted: these aliases of the tenant point at the manifest. */
  | { readonly kind: 'in_use'; readonly aliases: readonly string[] };

export interface AliasWithHistory {
  readonly alias: AliasRecord;
  /** Every change, newest first: history[0] is the current manifest. */
  readonly history: readonly AliasChange[];
}

/** Aliases (names unique across the server) and the deletion of manifests, which aliases hold. */
export interface AliasStore {
  /**
   * Points the tenant's alias `name` at its manifest, creating the alias if needed, in one transaction,
   * and appends the change to its history; pointing it at the manifest it already names changes nothing.
   */
  setAlias(tenantId: string, name: string, manifestId: string, now: string): Promise<AliasWrite>;
  /** The tenant's aliases, by name. */
  listAliases(tenantId: string): Promise<AliasRecord[]>;
  /** The tenant's alias with its history; null when unknown or another tenant's. */
  getAlias(tenantId: string, name: string): Promise<AliasWithHistory | null>;
  /** Deletes the tenant's alias and its history, freeing the name; false when it had none of that name. */
  deleteAlias(tenantId: string, name: string): Promise<boolean>;
  /** Deletes the tenant's manifest and its file list, atomically, unless one of its aliases points at it. */
  deleteManifest(tenantId: string, manifestId: string): Promise<ManifestDeletion>;
}

/** A manifest that a site host serves, and whose tenant holds it. */
export interface SiteManifest {
  readonly tenantId: string;
  readonly manifestId: string;
}

/** What site serving reads on every request: cheap indexed lookups, never a whole file list. */
export interface SiteReader {
  /** The manifest an alias points at now; null for an unknown name. */
  aliasSite(name: string): Promise<SiteManifest | null>;
  /** A manifest whose id starts with these 32 lowercase hex digits (any tenant's: the same id is the same files). */
  previewSite(prefix: string): Promise<SiteManifest | null>;
  /** The manifest's files among `paths` (any order); absent paths are left out. */
  siteFiles(site: SiteManifest, paths: readonly string[]): Promise<FileEntry[]>;
  /** A small blob's bytes when the database keeps them (see BlobIngester.inlineBlobMaxBytes); null: in the blob store. */
  blobBytes(sha256: string): Promise<Uint8Array | null>;
}

export interface MetadataStore
  extends MetadataLifecycle,
    ApiTokenStore,
    SessionStore,
    PutContextByToken,
    ManifestReader,
    BlobStatter,
    BlobIngester,
    BlobCensus,
    GarbageSweeper,
    AliasStore,
    SiteReader,
    ResumableUploadStore {}
