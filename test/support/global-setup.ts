// Once per test run: the run's PostgreSQL (postgres-server.ts), a run id for the schemas tests create, and a
// run directory where workers record the children they start. At the end: the schemas are dropped, the
// embedded PostgreSQL (if any) stopped, and the run fails loudly if any child it started is still alive.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { killSurvivors } from './child-registry.js';
import { runPostgres, type RunPostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresRunId: string;
    postgresUrl: string;
    /** Where children.ts records the process groups of the children tests start. */
    testRunDir: string;
  }
}

interface Run {
  readonly runId: string;
  readonly runDir: string;
  readonly postgres: RunPostgres;
  projects: number;
}

// Vitest calls a global set-up once per project (and for the root one), each through its own module
// instance, so the one run they share lives on globalThis; the last teardown ends it.
const RUN = Symbol.for('presscloud.testRun');
const shared = globalThis as { [RUN]?: Promise<Run> };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared[RUN] ??= startRun();
  const run = await shared[RUN];
  run.projects += 1;
  project.provide('postgresRunId', run.runId);
  project.provide('postgresUrl', run.postgres.url);
  project.provide('testRunDir', run.runDir);
  return async () => {
    run.projects -= 1;
    if (run.projects === 0) await endRun(run);
  };
}

async function startRun(): Promise<Run> {
  const postgres = await runPostgres().catch((err: Error) => {
    // One line that says why and what to do, not a stack into the set-up's internals.
    const oneLine = new Error(`no PostgreSQL for the tests: ${err.message}`);
    oneLine.stack = oneLine.message;
    throw oneLine;
  });
  console.info(`test PostgreSQL: ${postgres.description}`);
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'presscloud-test-run-'));
  // Vitest exits on Ctrl-C or SIGTERM without any teardown; children run in groups of their own, which the
  // terminal's signal does not reach. Synchronous work only, here; after a normal teardown it finds nothing.
  process.once('exit', () => {
    killSurvivors(runDir);
    postgres.quitNow();
  });
  return { runId: randomBytes(4).toString('hex'), runDir, postgres, projects: 0 };
}

async function endRun(run: Run): Promise<void> {
  // Killed first: a surviving server may hold connections to the schemas about to be dropped.
  const survivors = killSurvivors(run.runDir);
  // Vitest reports a teardown error without failing the run on its own.
  if (survivors.length > 0) process.exitCode = 1;
  await dropRunSchemas(run);
  await run.postgres.stop();
  await fs.rm(run.runDir, { recursive: true, force: true });
  if (survivors.length > 0) {
    throw new Error(`child processes outlived their tests (now killed):\n${survivors.map((s) => `  ${s.pid}: ${s.command}`).join('\n')}`);
  }
}

/**
 * Schemas are dropped only now: Kysely's migrator introspects every schema of the database, and a schema
 * dropped by one test file while another migrates makes that introspection fail.
 */
async function dropRunSchemas(run: Run): Promise<void> {
  const client = new pg.Client({ connectionString: run.postgres.url });
  try {
    await client.connect();
    const pattern = `pc_test_${run.runId}_%`;
    const { rows } = await client.query<{ nspname: string }>('select nspname from pg_namespace where nspname like $1', [pattern]);
    for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
  } catch {
    // PostgreSQL being down already failed the tests that needed it.
  } finally {
    await client.end().catch(() => undefined);
  }
}
