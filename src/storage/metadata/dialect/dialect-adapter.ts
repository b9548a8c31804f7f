// What SQLite and PostgreSQL do differently, as one small adapter per dialect (after kysely's
// src/dialect/*/…-adapter.ts): the store above is written once, against this interface.
import type { Kysely, RawBuilder, SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from '../schema.js';

export type Executor = Kysely<Database> | Transaction<Database>;

/** Blob commits and session writes take the collection lock shared; garbage collection takes it exclusively. */
export type LockMode = 'shared' | 'exclusive';

export type JsonColumnType = 'text' | 'integer' | 'bigint';

export interface DialectAdapter {
  readonly name: 'sqlite' | 'postgres';

  /**
   * Whether small blobs' bytes are kept in the database with their rows (blob_bytes): one durable commit
   * then makes a group of blobs durable. False where a separate blob store is the better place for bytes.
   */
  readonly keepsBlobBytes: boolean;

  /** Returns the pages freed by deletes to the filesystem (SQLite's incremental vacuum); a no-op where the server does it. */
  reclaimSpace(db: Kysely<Database>): Promise<void>;

  /** Runs `work` in one write transaction holding the collection lock in `mode`; commits, or rolls back on a throw. */
  writeTransaction<T>(db: Kysely<Database>, mode: LockMode, work: (tx: Executor) => Promise<T>): Promise<T>;

  /** The rows the query reads stay locked until the write transaction ends. */
  lockRows<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;

  /** A JSON array of arrays, bound as one parameter, read as a table with one `value` per array. */
  jsonRows(json: string): RawBuilder<unknown>;
  /** Item `index` of a jsonRows `value`, as a value of the column's type. */
  jsonItem(index: number, type: JsonColumnType): RawBuilder<unknown>;

  /** The schema Kysely's migrator keeps its own tables in; undefined for the dialect's only one. */
  migrationSchema(db: Kysely<Database>): Promise<string | undefined>;

  /** True when a driver error means the database is unreachable or failing (a 503), not a bug. */
  isUnavailable(err: unknown): boolean;

  /** True when a driver error means the database is out of disk space (a 507): small blobs' bytes land there. */
  isOutOfSpace(err: unknown): boolean;
}

export function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/** Drivers without a code for it say so in words: a lost or closed connection, a timeout. */
export function saysUnavailable(err: unknown): boolean {
  return /connect|terminat|timeout/i.test(err instanceof Error ? err.message : '');
}
