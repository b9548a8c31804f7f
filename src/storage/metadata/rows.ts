// Rows to records: the mapping between the tables (schema.ts) and the domain's records, and the small
// helpers the store's parts share.
import { comparePaths } from '../../domain/manifest.js';
import type { ApiTokenRecord, FileEntry, FileMode, ManifestRecord, Scope, SessionRecord, SessionState } from '../../domain/types.js';
import type { Database } from './schema.js';

/** Values per statement for lists of sha256s: well under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH_ROWS = 2000;

/** Every column of upload_sessions but files_json, which only completion reads, and finished_at, which only garbage collection reads. */
export const SESSION_COLUMNS = [
  'id',
  'tenant_id',
  'upload_token_hash',
  'state',
  'created_at',
  'expires_at',
  'file_count',
  'blob_count',
  'total_bytes',
  'manifest_id',
] as const;

export function* batches<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += BATCH_ROWS) yield items.slice(i, i + BATCH_ROWS);
}

export function byPath(a: FileEntry, b: FileEntry): number {
  return comparePaths(a.path, b.path);
}

/** UTF-16 order: cheaper than comparePaths and close enough where order only helps the indexes. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The columns of manifest_files that make a FileEntry. */
export const FILE_COLUMNS = ['path', 'sha256', 'size', 'mime', 'mode'] as const;

/** `mode` null (or absent, in a session stored before modes) is a plain file, which carries no mode. */
export function toFileEntry(row: { path: string; sha256: string; size: number; mime: string | null; mode?: string | null }): FileEntry {
  const entry: FileEntry = { path: row.path, sha256: row.sha256, size: row.size };
  return {
    ...entry,
    ...(row.mime === null ? {} : { mime: row.mime }),
    ...(row.mode === null || row.mode === undefined ? {} : { mode: row.mode as FileMode }),
  };
}

/** The files_json column: [path, sha256, size, mime or null, mode or null] per file, sorted by path (older sessions lack the mode). */
export function filesJson(files: readonly FileEntry[]): string {
  return JSON.stringify(
    [...files].sort((a, b) => compareText(a.path, b.path)).map((f) => [f.path, f.sha256, f.size, f.mime ?? null, f.mode ?? null]),
  );
}

export function parseFiles(json: string): FileEntry[] {
  return (JSON.parse(json) as Array<[string, string, number, string | null, (string | null)?]>).map(([path, sha256, size, mime, mode]) =>
    toFileEntry({ path, sha256, size, mime, mode }),
  );
}

export function toManifestRecord(row: {
  id: string;
  created_at: string;
  file_count: number;
  total_bytes: number;
  label?: string | null;
}): ManifestRecord {
  const record = { manifestId: row.id, createdAt: row.created_at, fileCount: row.file_count, totalBytes: row.total_bytes };
  return row.label ? { ...record, label: row.label } : record;
}

export function toSessionRecord(row: Omit<Database['upload_sessions'], 'files_json' | 'finished_at' | 'label'>): SessionRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    uploadTokenHash: row.upload_token_hash,
    state: row.state as SessionState,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    fileCount: row.file_count,
    blobCount: row.blob_count,
    totalBytes: row.total_bytes,
    manifestId: row.manifest_id,
  };
}

export function toTokenRecord(row: {
  id: string;
  tenant_id: string;
  tenant_name: string;
  token_hash: string;
  scopes: string;
  created_at: string;
  revoked_at: string | null;
}): ApiTokenRecord {
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
