// Bulk inserts that travel as one bound parameter: a JSON array of rows, read back as a table by the
// database. One statement and one round trip for 100,000 rows, with no bound-parameter limit to batch
// around; how the JSON is read is the dialect adapter's.
import { sql } from 'kysely';
import type { DialectAdapter, Executor, JsonColumnType } from './dialect/dialect-adapter.js';
import type { Database } from './schema.js';

export interface JsonInsert {
  readonly table: keyof Database;
  /** Columns with one value for every row (such as the session id), bound once. */
  readonly constants: Readonly<Record<string, string>>;
  /** Columns read from each row, in the order of the row's items. */
  readonly columns: readonly (readonly [name: string, type: JsonColumnType])[];
  readonly rows?: readonly (readonly (string | number | null)[])[];
  /** The rows already serialised (a JSON array of arrays), instead of `rows`. */
  readonly json?: string;
}

export async function insertJsonRows(db: Executor, adapter: DialectAdapter, insert: JsonInsert): Promise<void> {
  if (insert.rows?.length === 0) return;
  const constantNames = Object.keys(insert.constants);
  const names = [...constantNames, ...insert.columns.map(([name]) => name)];
  const json = insert.json ?? JSON.stringify(insert.rows ?? []);
  const items = insert.columns.map(([, type], index) => adapter.jsonItem(index, type));
  await sql`insert into ${sql.table(insert.table)} (${sql.join(names.map((name) => sql.ref(name)))})
    select ${sql.join([...constantNames.map((name) => sql`${insert.constants[name]}`), ...items])} from ${adapter.jsonRows(json)}`.execute(
    db,
  );
}
