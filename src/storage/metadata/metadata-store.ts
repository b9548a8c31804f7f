// The metadata seam: tenants, tokens, sessions, manifests and per-tenant blob presence.
// One implementation (sql-metadata-store.ts) serves SQLite and PostgreSQL through Kysely dialects.
import type { ApiTokenRecord, FileEntry, ManifestRecord, Scope, SessionBlob, SessionRecord, Tenant } from '../../domain/types.js';

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
}

export interface BlobRecord {
  readonly tenantId: string;
  readonly sha256: string;
  readonly size: number;
  readonly mime: string | null;
  readonly now: string;
}

export interface PutContext {
  readonly session: SessionRecord;
  readonly blob: SessionBlob | null;
  readonly held: { readonly mime: string | null; readonly size: number } | undefined;
}

export interface ManifestPage {
  /** Most manifests to return. */
  readonly limit: number;
  /** Start after this manifest (the last one of the previous page), in newest-first order. */
  readonly after?: { readonly createdAt: string; readonly manifestId: string };
}

export type BlobCommitResult = { readonly alreadyPresent: boolean } | { readonly error: unknown };

export type CompleteOutcome =
  | { readonly kind: 'completed'; readonly manifest: ManifestRecord }
  | { readonly kind: 'missing'; readonly missing: string[] }
  | { readonly kind: 'not_open'; readonly state: string };

/**
 * All methods throw AppError('storage_unavailable') when the database cannot be reached.
 * Every write is atomic: it happens whole or not at all.
 */
export interface MetadataStore {
  readonly dialect: 'sqlite' | 'postgres';

  /** Brings the schema up to date; safe when several instances start at once. */
  migrate(): Promise<void>;
  checkReady(): Promise<void>;
  close(): Promise<void>;

  /** Returns the tenant with this name, creating it if needed (idempotent, race-safe). */
  ensureTenant(name: string): Promise<Tenant>;
  countApiTokens(): Promise<number>;
  createApiToken(token: { id: string; tenantId: string; tokenHash: string; scopes: readonly Scope[]; createdAt: string }): Promise<void>;
  /** The token with this hash, revoked or not; null when unknown. */
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | null>;
  /** Revokes by token id or token hash; false when no live token matched. */
  revokeApiToken(idOrHash: string, revokedAt: string): Promise<boolean>;
  listApiTokens(): Promise<ApiTokenRecord[]>;

  /** Stores the session with its files and blobs; returns the sha256s this tenant lacks, in manifest order. */
  createSession(session: NewSession): Promise<{ missing: string[] }>;
  /** The tenant's session, or null (also for another tenant's). */
  getSession(tenantId: string, sessionId: string): Promise<SessionRecord | null>;
  /**
   * Everything a blob PUT checks, in one read: the tenant's session (null as getSession), the blob the
   * session names with this sha256 (null when it names none), and whether the tenant holds it (as tenantBlob).
   */
  putContext(tenantId: string, sessionId: string, sha256: string): Promise<PutContext | null>;
  /** The session's blobs that its tenant does not hold yet, in manifest order. */
  missingBlobs(tenantId: string, sessionId: string): Promise<string[]>;
  /** The session's files sorted by path (for the manifest id). */
  sessionFiles(sessionId: string): Promise<FileEntry[]>;
  /**
   * Freezes an open session into the manifest `manifestId` if no blob is missing, atomically; a
   * session already completed answers its manifest again.
   */
  completeSession(tenantId: string, sessionId: string, manifestId: string, now: string): Promise<CompleteOutcome>;
  /** Open → aborted; returns the state the session had (null when absent). */
  abortSession(tenantId: string, sessionId: string): Promise<string | null>;

  /** The mime this tenant's blob is served with, or undefined when the tenant does not hold it. */
  tenantBlob(tenantId: string, sha256: string): Promise<{ mime: string | null; size: number } | undefined>;
  /**
   * Records that the blob is stored and that the tenant holds it. `commitBytes` (which makes the bytes
   * visible at their key) runs inside the same transaction, after the check that garbage collection is
   * not deleting this blob, so a collection never interleaves with it. Throws storage_unavailable
   * (retryable) while a collection is deleting the blob. alreadyPresent: the tenant held it before.
   */
  commitBlob(blob: BlobRecord, commitBytes: () => Promise<unknown>): Promise<{ alreadyPresent: boolean }>;

  /**
   * commitBlob for many blobs in one transaction (group commit: one durable commit for the batch).
   * `commitBytes(i)` runs for each blob the collector is not deleting, concurrently; a blob whose
   * commitBytes fails gets that error and no rows. Of several entries for one tenant and blob, the
   * first that is new to the tenant answers alreadyPresent false.
   */
  commitBlobs(blobs: readonly BlobRecord[], commitBytes: (index: number) => Promise<unknown>): Promise<BlobCommitResult[]>;

  getManifest(tenantId: string, manifestId: string): Promise<(ManifestRecord & { files: FileEntry[] }) | null>;
  /** The tenant's manifests, newest first (ties by manifest id, descending); [] past the last one. */
  listManifests(tenantId: string, page: ManifestPage): Promise<ManifestRecord[]>;

  /** Marks open sessions past their expiry as expired; returns how many. */
  expireSessions(now: string): Promise<number>;
  /**
   * Tombstones the blobs that no manifest and no open session names and that no PUT touched since
   * `touchedBefore`, together with `orphans` (keys in the store without a row, seen by the caller),
   * and drops every tenant's presence of them — one transaction, exclusive of blob commits and
   * session changes. Returns every tombstoned sha256 (earlier runs' leftovers included).
   */
  tombstoneGarbage(touchedBefore: string, orphans: readonly string[], now: string): Promise<string[]>;
  /** Which of these sha256s have a row (live or tombstoned). */
  knownBlobs(sha256s: readonly string[]): Promise<Set<string>>;
  /** Deletes the tombstoned rows once their bytes are gone. */
  forgetBlobs(sha256s: readonly string[]): Promise<void>;
}
