// Opens the configured database: PostgreSQL when a URL is given, SQLite in the data directory otherwise.
// What the two dialects do differently lives in dialect/, one small adapter each.
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { DialectAdapter } from './dialect/dialect-adapter.js';
import { openPostgres, postgresAdapter } from './dialect/postgres.js';
import { openSqlite, sqliteAdapter } from './dialect/sqlite.js';
import type { Database } from './schema.js';

export interface OpenedDatabase {
  readonly db: Kysely<Database>;
  readonly adapter: DialectAdapter;
}

export interface DatabaseOptions {
  /** postgres://… ; absent means SQLite at <dataDir>/presscloud.db. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  /** PostgreSQL schema to use (tests give each run its own). */
  readonly schema?: string;
  readonly poolSize?: number;
}

export function sqlitePath(dataDir: string): string {
  return path.join(dataDir, 'presscloud.db');
}

export function openDatabase(options: DatabaseOptions): OpenedDatabase {
  if (options.databaseUrl) {
    return { db: openPostgres(options.databaseUrl, { schema: options.schema, poolSize: options.poolSize }), adapter: postgresAdapter };
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  return { db: openSqlite(sqlitePath(options.dataDir)), adapter: sqliteAdapter };
}
