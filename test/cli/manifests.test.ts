// `presscloud manifests` end to end: the built CLI as a child process lists what real pushes of a fresh
// tenant created, as a table under a header or as JSON, newest first.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestSummary } from '../../src/api/types.js';
import { PressCloudClient } from '../../src/client/client.js';
import { startServer } from '../support/server.js';
import { runCli } from './run-cli.js';

type Server = Awaited<ReturnType<typeof startServer>>;

let server: Server;
let workDir: string;
let token: string;
/** The manifests of the tenant, newest first, as the API lists them. */
let listed: ManifestSummary[];

beforeAll(async () => {
  server = await startServer({});
  workDir = await mkdtemp(path.join(tmpdir(), 'presscloud-manifests-'));
  token = await server.tokenFor(`manifests-${randomBytes(4).toString('hex')}`);
  const pushedIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const root = path.join(workDir, `site-${i}`);
    await mkdir(root);
    for (let f = 0; f <= i; f++) await writeFile(path.join(root, `page-${f}.html`), `site ${i} page ${f}`);
    const run = await runCli(['push', root, '--url', server.url, '--token', token]);
    expect(run.exitCode).toBe(0);
    pushedIds.push(run.stdout.trim());
  }
  const client = new PressCloudClient({ baseUrl: server.url, token });
  try {
    listed = (await client.listManifests()).manifests;
  } finally {
    await client.close();
  }
  expect(listed.map((m) => m.manifestId).sort()).toEqual([...pushedIds].sort());
});

afterAll(async () => {
  await server?.stop();
  await rm(workDir, { recursive: true, force: true });
});

const args = (...extra: string[]) => ['manifests', '--url', server.url, '--token', token, ...extra];

describe('presscloud manifests', () => {
  it('prints a tab-separated table under a header, newest first', async () => {
    const run = await runCli(args());
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe('');
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header).toBe('MANIFEST\tCREATED\tFILES\tBYTES\tLABEL');
    expect(rows).toEqual(listed.map((m) => `${m.manifestId}\t${m.createdAt}\t${m.fileCount}\t${m.totalBytes}\t${m.label ?? ''}`));
    expect(rows.map((row) => row.split('\t')[2]).sort()).toEqual(['1', '2', '3']);
  });

  it('prints a JSON array with --json, and stops at --limit saying that more follow', async () => {
    const json = await runCli(args('--json'));
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(listed);

    const limited = await runCli(args('--json', '--limit', '2'));
    expect(limited.exitCode).toBe(0);
    expect(JSON.parse(limited.stdout)).toEqual(listed.slice(0, 2));
    expect(limited.stderr).toBe('older manifests follow; raise --limit (2) to list them\n');
  });

  it('lists nothing but the header for a tenant without manifests, and exits 2 on usage mistakes and refused tokens', async () => {
    const empty = await runCli(['manifests', '--url', server.url, '--token', await server.tokenFor('manifests-empty')]);
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toBe('MANIFEST\tCREATED\tFILES\tBYTES\tLABEL\n');

    const badLimit = await runCli(args('--limit', '0'));
    expect(badLimit.exitCode).toBe(2);
    expect(badLimit.stderr).toMatch(/--limit/);
    const badToken = await runCli(['manifests', '--url', server.url, '--token', 'pct_not_a_real_token']);
    expect(badToken.exitCode).toBe(2);
    expect(badToken.stderr.trim()).toMatch(/^presscloud: the server did not accept the token \(401 /);
    const uploadOnly = await runCli(['manifests', '--url', server.url, '--token', await server.tokenFor('manifests-up', ['upload'])]);
    expect(uploadOnly.exitCode).toBe(2);
    expect(uploadOnly.stderr.trim()).toMatch(/^presscloud: the token is not allowed to do this \(403 forbidden: /);
  });
});
