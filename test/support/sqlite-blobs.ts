// Inspection of the small blobs the embedded default keeps in SQLite (blob_bytes), read straight from the
// database file, for tests that check what the server stored and where.
import { existsSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { sqlitePath } from '../../src/storage/metadata/database.js';
import { sha256Of } from './api.js';

export interface InlineBlob {
  readonly sha256: string;
  readonly bytes: Buffer;
}

/** Every blob whose bytes the data directory's database keeps; [] without a database (PostgreSQL runs). */
export function inlineBlobs(dataDir: string): InlineBlob[] {
  if (!existsSync(sqlitePath(dataDir))) return [];
  const db = new SQLite(sqlitePath(dataDir), { readonly: true });
  try {
    return db.prepare('select sha256, bytes from blob_bytes order by sha256').all() as InlineBlob[];
  } finally {
    db.close();
  }
}

/** The inline blobs whose bytes do not hash to their sha256: a correct store has none. */
export function wrongInlineBlobs(dataDir: string): string[] {
  return inlineBlobs(dataDir)
    .filter((blob) => sha256Of(blob.bytes) !== blob.sha256)
    .map((blob) => blob.sha256);
}

/** The database file's page counts: what incremental vacuum hands back shows in `pages`. */
export function databasePages(dataDir: string): { pages: number; free: number } {
  const db = new SQLite(sqlitePath(dataDir), { readonly: true });
  try {
    return { pages: db.pragma('page_count', { simple: true }) as number, free: db.pragma('freelist_count', { simple: true }) as number };
  } finally {
    db.close();
  }
}
