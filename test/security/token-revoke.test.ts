// `presscloud token revoke`, end to end: the built CLI changes the database a running server reads.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

const status = (token: string) => fetch(`${server.url}/v1/upload-sessions/us_nothing`, { headers: { authorization: `Bearer ${token}` } });

it('a revoked token answers 401 invalid_token from the next request on; revoking it again fails', async () => {
  const created = await runCli(['token', 'create', '--tenant', 'revocable', '--data-dir', server.dataDir]);
  expect(created.exitCode).toBe(0);
  const token = created.stdout.trim();
  expect((await status(token)).status).toBe(404);

  const revoked = await runCli(['token', 'revoke', token, '--data-dir', server.dataDir]);
  expect(revoked).toMatchObject({ exitCode: 0, stdout: '' });
  const refused = await status(token);
  expect(refused.status).toBe(401);
  expect(await refused.json()).toMatchObject({ error: 'invalid_token' });

  const again = await runCli(['token', 'revoke', token, '--data-dir', server.dataDir]);
  expect(again.exitCode).toBe(1);
  expect(again.stderr).toBe('presscloud: no live token matches\n');
});

it("revokes by id, as `token list` shows it, and leaves the tenant's other tokens working", async () => {
  const first = (await runCli(['token', 'create', '--tenant', 'by-id', '--data-dir', server.dataDir])).stdout.trim();
  const second = (await runCli(['token', 'create', '--tenant', 'by-id', '--data-dir', server.dataDir])).stdout.trim();
  const listed = (await runCli(['token', 'list', '--data-dir', server.dataDir])).stdout;
  expect(listed).not.toContain(first);
  const ids = listed
    .trim()
    .split('\n')
    .map((line) => line.split('\t'))
    .filter(([, tenant]) => tenant === 'by-id')
    .map(([id]) => id);
  expect(ids).toHaveLength(2);

  // Which id is whose is not shown; revoke the first listed and check exactly one token stops working.
  expect((await runCli(['token', 'revoke', ids[0], '--data-dir', server.dataDir])).exitCode).toBe(0);
  const statuses = [(await status(first)).status, (await status(second)).status].sort();
  expect(statuses).toEqual([401, 404]);
});
