// The one place SQLite and PostgreSQL differ: opening a Kysely instance over the chosen dialect.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
}

export interface DatabaseOptions {
  /** postgres://… ; absent means SQLite at <dataDir>/presscloud.db. */
  readonly databaseUrl?: string;
  readonly dataDir: string;
  /** PostgreSQL schema to use (tests give each run its own). */
  readonly schema?: string;
  readonly poolSize?: number;
}

// PostgreSQL bigint (int8) arrives as a string; sizes stay far below 2^53, so numbers are safe.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export function sqlitePath(dataDir: string): string {
  return path.join(dataDir, 'presscloud.db');
}

export function openDatabase(options: DatabaseOptions): OpenedDatabase {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      options: options.schema ? `-c search_path=${options.schema}` : undefined,
    });
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const sqlite = new SQLite(sqlitePath(options.dataDir));
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before the 200 that reports it.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) }), dialect: 'sqlite' };
}

/** Statements kept prepared, by SQL text; the hot paths run the same few dozen over and over. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; preparing costs more than running a point lookup. The driver
 * runs statements synchronously on one connection, so reusing a prepared statement is safe.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}
