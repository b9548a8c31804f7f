// SQLite through better-sqlite3: one connection, WAL, synchronous commits, prepared statements reused.
import SQLite from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, type SelectQueryBuilder, type SqliteDatabase } from 'kysely';
import type { Database } from '../schema.js';
import { errorCode, saysUnavailable, type DialectAdapter, type Executor, type JsonColumnType, type LockMode } from './dialect-adapter.js';

/** Statements kept prepared, by SQL text; the hot paths run the same few dozen over and over. */
const STATEMENT_CACHE_SIZE = 256;

/** The driver's connection behind each Kysely instance openSqlite made, for the pragmas Kysely cannot run. */
const connections = new WeakMap<Kysely<Database>, SQLite.Database>();

export const sqliteAdapter: DialectAdapter = {
  name: 'sqlite',
  keepsBlobBytes: true,

  /**
   * Frees every page on the freelist. Through the driver's pragma(), which steps the statement to its end
   * (a single step frees one page), and holding Kysely's connection so no transaction is open around it.
   */
  async reclaimSpace(db: Kysely<Database>): Promise<void> {
    const connection = connections.get(db);
    if (connection) await db.connection().execute(async () => void connection.pragma('incremental_vacuum'));
  },

  /**
   * SQLite has one writer at a time, so BEGIN IMMEDIATE is the collection lock in either mode (and it
   * keeps a second process, such as `presscloud gc`, from deadlocking on a lock upgrade).
   */
  writeTransaction<T>(db: Kysely<Database>, _mode: LockMode, work: (tx: Executor) => Promise<T>): Promise<T> {
    return db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await work(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (err) {
        // SQLite has already rolled back after some errors (SQLITE_FULL at commit): the failure to report is err.
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw err;
      }
    });
  },

  /** The single writer already keeps what a write transaction read from changing under it. */
  lockRows<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
    return query;
  },

  jsonRows: (json: string) => sql`json_each(${json})`,
  // ->> answers JSON numbers as integers and strings as text: no cast needed.
  jsonItem: (index: number, _type: JsonColumnType) => sql`value->>${sql.lit(index)}`,

  migrationSchema: async () => undefined,

  isOutOfSpace: (err: unknown) => errorCode(err) === 'SQLITE_FULL',

  isUnavailable(err: unknown): boolean {
    const code = errorCode(err);
    return ['SQLITE_CANTOPEN', 'SQLITE_FULL', 'SQLITE_BUSY'].includes(code) || code.startsWith('SQLITE_IOERR') || saysUnavailable(err);
  },
};

export function openSqlite(file: string): Kysely<Database> {
  const sqlite = new SQLite(file);
  sqlite.pragma('busy_timeout = 10000');
  useIncrementalVacuum(sqlite);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before the 200 that reports it.
  sqlite.pragma('synchronous = FULL');
  // Small blobs' bytes pass through the WAL: after a burst, a checkpoint truncates it back to this size.
  sqlite.pragma('journal_size_limit = 67108864');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  connections.set(db, sqlite);
  return db;
}

/**
 * Small blobs live in this file, so deleting them must be able to shrink it: auto_vacuum=INCREMENTAL lets
 * reclaimSpace() hand freed pages back. A new database takes the setting as it is; one made by an earlier
 * version switches only through a VACUUM, done once here. Should another process hold the database (an older
 * server), the switch waits for a later start, and until then freed pages are only reused, never returned.
 */
function useIncrementalVacuum(sqlite: SQLite.Database): void {
  const INCREMENTAL = 2;
  if (sqlite.pragma('auto_vacuum', { simple: true }) === INCREMENTAL) return;
  sqlite.pragma('auto_vacuum = INCREMENTAL');
  const tables = sqlite.prepare(`select count(*) as n from sqlite_master`).get() as { n: number };
  if (tables.n === 0) return;
  try {
    sqlite.exec('VACUUM');
  } catch (err) {
    if (!errorCode(err).startsWith('SQLITE_BUSY')) throw err;
  }
}

/**
 * Kysely prepares every query anew; preparing costs more than running a point lookup. The driver
 * runs statements synchronously on one connection, so reusing a prepared statement is safe.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = sqlite.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}
