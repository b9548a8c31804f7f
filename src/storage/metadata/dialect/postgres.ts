// PostgreSQL through a pg pool: the collection lock is an advisory lock, rows are locked FOR UPDATE.
import { Kysely, PostgresDialect, sql, type SelectQueryBuilder } from 'kysely';
import pg from 'pg';
import type { Database } from '../schema.js';
import { errorCode, saysUnavailable, type DialectAdapter, type Executor, type JsonColumnType, type LockMode } from './dialect-adapter.js';

/** The advisory lock key shared by blob commits and session writes, taken exclusively by garbage collection. */
const GC_LOCK_KEY = 0x70726573;

/** Connection lost or refused, server shutting down or not accepting connections (57P0x, 08xxx). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P03',
  '08006',
  '08001',
  '08003',
  '08004',
]);

// bigint (int8) arrives as a string by default; byte counts stay far below 2^53, so numbers are exact.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export const postgresAdapter: DialectAdapter = {
  name: 'postgres',
  // Bytes go to the blob store (S3/R2 in a shared deployment), never into rows.
  keepsBlobBytes: false,
  // autovacuum reclaims dead rows on its own.
  reclaimSpace: async () => undefined,

  writeTransaction<T>(db: Kysely<Database>, mode: LockMode, work: (tx: Executor) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (tx) => {
      if (mode === 'exclusive') await sql`select pg_advisory_xact_lock(${GC_LOCK_KEY})`.execute(tx);
      else await sql`select pg_advisory_xact_lock_shared(${GC_LOCK_KEY})`.execute(tx);
      return work(tx);
    });
  },

  /** So a completion and an abort of one session cannot both act on the state they read. */
  lockRows<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
    return query.forUpdate();
  },

  jsonRows: (json: string) => sql`jsonb_array_elements(${json}::jsonb) as rows(value)`,
  // ->> answers text: cast it to the column's type.
  jsonItem: (index: number, type: JsonColumnType) => sql`(value->>${sql.lit(index)})::${sql.raw(type)}`,

  /**
   * The first schema of search_path, where the tables go. Kysely must be told it: left alone, it finds
   * its migration tables in any schema of the database and then fails to read them.
   */
  async migrationSchema(db: Kysely<Database>): Promise<string | undefined> {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    const schema = rows[0]?.schema;
    if (!schema) throw new Error('no schema of the PostgreSQL search_path exists; create it first');
    return schema;
  },

  // disk_full
  isOutOfSpace: (err: unknown) => errorCode(err) === '53100',

  isUnavailable(err: unknown): boolean {
    return UNAVAILABLE_CODES.has(errorCode(err)) || saysUnavailable(err);
  },
};

export function openPostgres(url: string, options: { schema?: string; poolSize?: number }): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
