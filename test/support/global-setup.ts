// Once per test run: a run id for the PostgreSQL schemas the tests create, and their removal at the end.
// Schemas are dropped only then: Kysely's migrator introspects every schema of the database, and a
// schema dropped by one test file while another migrates makes that introspection fail.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresRunId: string;
  }
}

export default function setup(project: TestProject): () => Promise<void> {
  const runId = randomBytes(4).toString('hex');
  project.provide('postgresRunId', runId);
  return async () => {
    const client = new pg.Client({ connectionString: process.env.PRESSCLOUD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
    try {
      await client.connect();
      const { rows } = await client.query<{ nspname: string }>(`select nspname from pg_namespace where nspname like $1`, [`pc_test_${runId}_%`]);
      for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
    } catch {
      // PostgreSQL being down already failed the tests that needed it.
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}
