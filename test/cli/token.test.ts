// `presscloud token create|list|revoke` end to end: the built CLI as a child process on SQLite and on
// PostgreSQL, and the token it prints used against a real server over the same database.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestSchema } from '../support/postgres.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';
import { runCli, runProcess, type CliRun } from './run-cli.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOKEN_LINE = /^pct_[A-Za-z0-9_-]{43}\n$/;

interface Backend {
  /** The flags that point the CLI at this database. */
  readonly flags: string[];
  startServer(): Promise<TestServer>;
  cleanup(): Promise<void>;
}

const BACKENDS: Record<string, () => Promise<Backend>> = {
  async sqlite() {
    const dataDir = await makeTempDir('presscloud-token-');
    return {
      flags: ['--data-dir', dataDir],
      startServer: () => startServer({ dataDir }),
      cleanup: () => fs.rm(dataDir, { recursive: true, force: true }),
    };
  },
  async postgres() {
    const schema = await createTestSchema();
    const dataDir = await makeTempDir('presscloud-token-');
    return {
      // The URL alone names the schema (options=-c search_path=…), as a user's URL would.
      flags: ['--database-url', schema.databaseUrl],
      startServer: () => startServer({ dataDir, config: { databaseUrl: schema.databaseUrl } }),
      async cleanup() {
        await schema.drop();
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};

for (const [name, makeBackend] of Object.entries(BACKENDS)) {
  describe(`presscloud token on ${name}`, () => {
    let backend: Backend | undefined;
    let server: TestServer | undefined;

    afterEach(async () => {
      await server?.stop();
      await backend?.cleanup();
      server = undefined;
      backend = undefined;
    });

    it('creates a token that authenticates, lists it without its secret, and revokes it', async () => {
      backend = await makeBackend();
      // Only serve creates a database: the token commands then work beside it.
      server = await backend.startServer();
      const created = await runCli(['token', 'create', '--tenant', 'site-a', '--scopes', 'upload', ...backend.flags]);
      expect(created.exitCode, created.stderr).toBe(0);
      expect(created.stdout).toMatch(TOKEN_LINE);
      const token = created.stdout.trim();

      expect((await createSession(server.url, token)).status).toBe(201);
      // The token carries only the scope asked for.
      expect(
        await errorOf(await fetch(`${server.url}/v1/blobs/${'0'.repeat(64)}`, { headers: { authorization: `Bearer ${token}` } })),
      ).toEqual([403, 'forbidden']);

      const listed = await runCli(['token', 'list', ...backend.flags]);
      expect(listed.exitCode, listed.stderr).toBe(0);
      expect(listed.stdout).not.toContain(token);
      expect(listed.stdout).not.toContain(token.slice(4));
      const lines = listed.stdout.split('\n');
      expect(lines[0]).toBe('ID\tTENANT\tSCOPES\tCREATED\tREVOKED');
      const line = lines.find((l) => l.split('\t')[1] === 'site-a');
      expect(line?.split('\t')).toEqual([
        expect.stringMatching(/^tok_/),
        'site-a',
        'upload',
        expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        '-',
      ]);
      const json = await runCli(['token', 'list', '--json', ...backend.flags]);
      expect(json.exitCode, json.stderr).toBe(0);
      expect(json.stdout).not.toContain(token.slice(4));
      const records = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
      expect(records.find((r) => r.tenant === 'site-a')).toEqual({
        id: line?.split('\t')[0],
        tenant: 'site-a',
        scopes: ['upload'],
        createdAt: line?.split('\t')[3],
        revokedAt: null,
      });

      const revoked = await runCli(['token', 'revoke', token, ...backend.flags]);
      expect(revoked.exitCode, revoked.stderr).toBe(0);
      expect(await errorOf(await createSession(server.url, token))).toEqual([401, 'invalid_token']);
      expect(await runCli(['token', 'revoke', token, ...backend.flags])).toMatchObject({ exitCode: 1, stdout: '' });
    });

    it('revokes a token by its id as listed', async () => {
      backend = await makeBackend();
      server = await backend.startServer();
      const token = (await runCli(['token', 'create', '--tenant', 'site-b', ...backend.flags])).stdout.trim();
      const listed = await runCli(['token', 'list', ...backend.flags]);
      const id =
        listed.stdout
          .split('\n')
          .find((l) => l.split('\t')[1] === 'site-b')
          ?.split('\t')[0] ?? '';
      expect(id).toMatch(/^tok_/);

      expect((await runCli(['token', 'revoke', id, ...backend.flags])).exitCode).toBe(0);
      expect(await errorOf(await createSession(server.url, token))).toEqual([401, 'invalid_token']);
      const relisted = await runCli(['token', 'list', ...backend.flags]);
      expect(
        relisted.stdout
          .split('\n')
          .find((l) => l.startsWith(`${id}\t`))
          ?.split('\t')[4],
      ).toMatch(/^\d{4}-\d\d-\d\dT/);
    });
  });
}

describe('presscloud command line', () => {
  it('reports an unreachable database in one line, without a stack trace', async () => {
    const run = await runCli(['token', 'create', '--tenant', 'x', '--database-url', 'postgres://postgres@127.0.0.1:1/test']);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^presscloud: .+\n$/);
  });

  it('rejects a bad tenant name with one line and exit 2', async () => {
    const dataDir = await makeTempDir('presscloud-token-');
    const server = await startServer({ dataDir });
    try {
      const run = await runCli(['token', 'create', '--tenant', '../x', '--data-dir', dataDir]);
      expect(run).toMatchObject({ exitCode: 2, stdout: '' });
      expect(run.stderr).toMatch(/^presscloud: --tenant .+\n$/);
    } finally {
      await server.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('`npx presscloud --help` exits 0 and lists the commands', async () => {
    const run = await npx(['presscloud', '--help']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Usage: presscloud/);
    expect(run.stdout).toMatch(/token/);
  });
});

function createSession(url: string, token: string): Promise<Response> {
  return fetch(`${url}/v1/upload-sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ files: [{ path: 'index.html', sha256: 'a'.repeat(64), size: 1 }] }),
  });
}

async function errorOf(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error?: string };
  return [response.status, body.error ?? ''];
}

function npx(args: string[]): Promise<CliRun> {
  return runProcess('npx', ['--no-install', ...args], { cwd: REPO });
}
