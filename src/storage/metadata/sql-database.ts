// The Kysely instance with its dialect adapter, shared by the store's parts: reads and write
// transactions, with driver failures turned into API errors in one place.
import type { Kysely } from 'kysely';
import { AppError } from '../../domain/errors.js';
import type { DialectAdapter, Executor, LockMode } from './dialect/dialect-adapter.js';
import type { Database } from './schema.js';

export class SqlDatabase {
  constructor(
    readonly db: Kysely<Database>,
    readonly adapter: DialectAdapter,
  ) {}

  /** Statements outside a transaction: reads, and writes of one statement. */
  async run<T>(operation: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    try {
      return await operation(this.db);
    } catch (err) {
      throw this.databaseError(err);
    }
  }

  /** A write transaction holding the collection lock in `mode` (see DialectAdapter.writeTransaction). */
  async write<T>(mode: LockMode, work: (tx: Executor) => Promise<T>): Promise<T> {
    try {
      return await this.adapter.writeTransaction(this.db, mode, work);
    } catch (err) {
      throw this.databaseError(err);
    }
  }

  /** The one place driver errors become API errors: out of space means 507, unreachable or failing 503. */
  private databaseError(err: unknown): unknown {
    if (err instanceof AppError) return err;
    if (this.adapter.isOutOfSpace(err)) return new AppError('insufficient_storage', undefined, { cause: err });
    if (!this.adapter.isUnavailable(err)) return err;
    return new AppError('storage_unavailable', 'The metadata database is unavailable; retry later.', { cause: err });
  }
}
