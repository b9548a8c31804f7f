// Table types for Kysely. Timestamps are ISO 8601 text (UTC, fixed width, so they sort and compare as
// text on every dialect). Byte counts are bigint columns that both drivers hand over as numbers:
// better-sqlite3 does by default, and dialect/postgres.ts installs a parser for PostgreSQL's int8,
// which pg would otherwise return as a string. Sizes stay far below 2^53, where numbers are exact.
type BigIntColumn = number;

export interface TenantsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  tenant_id: string;
  token_hash: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
}

export interface BlobsTable {
  sha256: string;
  size: BigIntColumn;
  created_at: string;
  /** Last time a PUT recorded it: garbage collection spares blobs touched within its grace period. */
  touched_at: string;
  /** Set by garbage collection before it deletes the bytes: a tombstone that makes PUTs retry. */
  deleting_at: string | null;
}

/** A small blob's bytes, written in the transaction that records its blobs row (SQLite only). */
export interface BlobBytesTable {
  sha256: string;
  bytes: Uint8Array;
}

export interface TenantBlobsTable {
  tenant_id: string;
  sha256: string;
  mime: string | null;
  created_at: string;
}

export interface UploadSessionsTable {
  id: string;
  tenant_id: string;
  upload_token_hash: string;
  state: string;
  created_at: string;
  expires_at: string;
  file_count: number;
  blob_count: number;
  total_bytes: BigIntColumn;
  manifest_id: string | null;
  /** JSON array of [path, sha256, size, mime or null], sorted by path. */
  files_json: string;
  /** When the session was completed, aborted or expired; null while open. Retention counts from it. */
  finished_at: string | null;
  /** The label its manifest gets (migration 0008). */
  label: string | null;
}

export interface SessionBlobsTable {
  session_id: string;
  ordinal: number;
  sha256: string;
  size: BigIntColumn;
  mime: string | null;
}

export interface ManifestsTable {
  tenant_id: string;
  id: string;
  created_at: string;
  file_count: number;
  total_bytes: BigIntColumn;
  /** A name for people (migration 0008); null when none was given. */
  label: string | null;
}

export interface ManifestFilesTable {
  tenant_id: string;
  manifest_id: string;
  path: string;
  sha256: string;
  size: BigIntColumn;
  mime: string | null;
  /** "100755" or "120000"; null for a plain file. */
  mode: string | null;
}

/** One row (id 1): how many garbage collections tombstoned something. */
export interface CollectionEpochTable {
  id: number;
  epoch: number;
}

/** A name a tenant points at one of its manifests; the name is unique across the server. */
export interface AliasesTable {
  name: string;
  tenant_id: string;
  manifest_id: string;
  updated_at: string;
}

/** Every change of an alias, numbered from 1 per name. */
export interface AliasHistoryTable {
  name: string;
  seq: number;
  manifest_id: string;
  at: string;
}

/** One resumable (tus) upload; see migrations/0007-tus-uploads.ts. */
export interface ResumableUploadsTable {
  id: string;
  tenant_id: string;
  session_id: string;
  sha256: string;
  length: BigIntColumn;
  upload_offset: BigIntColumn;
  state: string;
  created_at: string;
  expires_at: string;
  mime: string | null;
  hash_state: Uint8Array | null;
  store_state: string | null;
  tail: Uint8Array | null;
  lease_id: string | null;
  lease_until: string | null;
}

export interface Database {
  tenants: TenantsTable;
  api_tokens: ApiTokensTable;
  blobs: BlobsTable;
  blob_bytes: BlobBytesTable;
  tenant_blobs: TenantBlobsTable;
  upload_sessions: UploadSessionsTable;
  session_blobs: SessionBlobsTable;
  manifests: ManifestsTable;
  manifest_files: ManifestFilesTable;
  collection_epoch: CollectionEpochTable;
  aliases: AliasesTable;
  alias_history: AliasHistoryTable;
  resumable_uploads: ResumableUploadsTable;
}
