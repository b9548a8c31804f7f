// PostgreSQL for tests: the run's server, which the global set-up chose or started (postgres-server.ts), and a
// fresh schema per test.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export const POSTGRES_URL = inject('postgresUrl');

export interface TestSchema {
  /** The schema's name, `pc_test_<random>`: give it to openDatabase / openMetadataStore / startServer. */
  readonly schema: string;
  /** POSTGRES_URL with the schema as its search_path, for code that takes only a URL (the CLI). */
  readonly databaseUrl: string;
  /** Lets the schema go; it is dropped with the rest of the run's at the end. */
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const schema = `pc_test_${inject('postgresRunId')}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    databaseUrl: url.toString(),
    // Dropped with the run's other schemas by test/support/global-setup.ts (see there why not now).
    drop: async () => undefined,
  };
}

/** One statement on a short-lived connection of its own, outside any pool under test. */
async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
