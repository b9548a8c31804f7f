// `presscloud gc` as a child process beside a running server on the embedded default.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { abortSession, createSession, downloadBlob, putBlob, sha256Of, uploadAll, type LocalFile } from '../support/api.js';
import { runCli } from './run-cli.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serve(): Promise<TestServer> {
  const server = await startServer();
  servers.push(server);
  return server;
}

function file(name: string, bytes = 2048): LocalFile {
  return { path: name, content: randomBytes(bytes) };
}

async function uploadWithoutCompleting(server: TestServer, files: LocalFile[]) {
  const created = await createSession(server.url, server.token, files);
  expect(created.status).toBe(201);
  for (const f of files) expect((await putBlob(server.url, server.token, created.body, f.content)).status).toBe(200);
  return created.body;
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

describe('presscloud gc', () => {
  it('collects from the data directory of a running server, prints what it removed, and leaves its temporaries alone', async () => {
    const server = await serve();
    const doomed = file('cli.bin', 4096);
    await abortSession(server.url, server.token, await uploadWithoutCompleting(server, [doomed]));
    const kept = file('kept.bin');
    await uploadAll(server.url, server.token, [kept]);
    const inFlightTemporary = path.join(server.dataDir, 'tmp', 'an-upload-in-flight.part');
    await fs.writeFile(inFlightTemporary, 'partial');

    const run = await runCli(['gc', '--data-dir', server.dataDir, '--grace-seconds', '0', '--json']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      expiredSessions: 0,
      purgedSessions: 0,
      deletedBlobs: 1,
      deletedBytes: 4096,
      orphansDeleted: 0,
      abortedUploads: 0,
    });
    expect(await exists(inFlightTemporary)).toBe(true);
    expect((await downloadBlob(server.url, server.token, sha256Of(kept.content))).status).toBe(200);

    const human = await runCli(['gc', '--data-dir', server.dataDir, '--grace-seconds', '0']);
    expect(human.stdout).toBe('expired 0 session(s); purged 0 finished session(s); deleted 0 blob(s), 0 bytes (0 of them orphans)\n');
  });

  it('refuses a bad --grace-seconds with one line naming it, and exit 2', async () => {
    const run = await runCli(['gc', '--data-dir', '/nonexistent-presscloud', '--grace-seconds', 'soon']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe('presscloud: --grace-seconds must be an integer, 0 or more, not "soon"\n');
  });
});
