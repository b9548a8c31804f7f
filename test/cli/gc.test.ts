// `presscloud gc` as a child process beside a running server on the embedded default.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { hashToken } from '../../src/domain/tokens.js';
import { Api, abortSession, createSession, downloadBlob, makeBlob, putBlob, sha256Of, uploadAll, type LocalFile } from '../support/api.js';
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

const TUS = { 'tus-resumable': '1.0.0' };

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
      expiredUploads: 0,
    });
    expect(await exists(inFlightTemporary)).toBe(true);
    expect((await downloadBlob(server.url, server.token, sha256Of(kept.content))).status).toBe(200);

    const human = await runCli(['gc', '--data-dir', server.dataDir, '--grace-seconds', '0']);
    expect(human.stdout).toBe(
      'expired 0 session(s); dropped 0 abandoned resumable upload(s); purged 0 finished session(s); ' +
        'deleted 0 blob(s), 0 bytes (0 of them orphans)\n',
    );
  });

  it('drops an abandoned tus upload whose session expired, rows and partial file, and keeps a live one', async () => {
    const server = await serve();
    const api = new Api(server.url, server.token);
    /** A tus upload of a 50,000-byte blob in a new session, 20,000 bytes of it acknowledged. */
    const startUpload = async (name: string) => {
      const blob = makeBlob(name, randomBytes(50_000));
      const session = await api.createSession([blob]);
      const headers = { ...TUS, 'x-upload-token': session.uploadToken };
      const created = await api.request('POST', `/v1/upload-sessions/${session.uploadSessionId}/uploads`, {
        headers: {
          ...headers,
          'upload-length': String(blob.size),
          'upload-metadata': `sha256 ${Buffer.from(blob.sha256).toString('base64')}`,
        },
      });
      expect(created.status).toBe(201);
      const location = created.headers.get('location') ?? '';
      const patched = await api.request('PATCH', location, {
        raw: blob.bytes.subarray(0, 20_000),
        headers: { ...headers, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      });
      expect(patched.status).toBe(204);
      return { location, id: location.split('/').pop() ?? '', headers, expiresAt: session.expiresAt };
    };
    // The server's clock two hours back: the session (an hour long) ended an hour before this real time,
    // its upload's bytes arriving while it was still open; then the clock is right again.
    server.advanceClock(-2 * 3600_000);
    const abandoned = await startUpload('abandoned.bin');
    server.advanceClock(2 * 3600_000);
    expect(Date.parse(abandoned.expiresAt)).toBeLessThan(Date.now());
    const live = await startUpload('live.bin');
    const partials = path.join(server.dataDir, 'uploads');
    expect((await fs.readdir(partials)).sort()).toEqual([abandoned.id, live.id].sort());

    const run = await runCli(['gc', '--data-dir', server.dataDir, '--json']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ expiredSessions: 1, expiredUploads: 1, deletedBlobs: 0 });

    expect(await fs.readdir(partials)).toEqual([live.id]);
    const { metadata } = server.server.backends;
    const tenantId = (await metadata.findApiTokenByHash(hashToken(server.token)))?.tenantId ?? '';
    expect(await metadata.getResumableUpload(tenantId, abandoned.id)).toBeNull();
    expect((await metadata.getResumableUpload(tenantId, live.id))?.offset).toBe(20_000);
    expect((await api.request('HEAD', abandoned.location, { headers: abandoned.headers })).status).toBe(404);
    const head = await api.request('HEAD', live.location, { headers: live.headers });
    expect([head.status, head.headers.get('upload-offset')]).toEqual([200, '20000']);

    const human = await runCli(['gc', '--data-dir', server.dataDir]);
    expect(human.stdout).toMatch(/^expired 0 session\(s\); dropped 0 abandoned resumable upload\(s\); /);
  });

  it('refuses a bad --grace-seconds with one line naming it, and exit 2', async () => {
    const run = await runCli(['gc', '--data-dir', '/nonexistent-presscloud', '--grace-seconds', 'soon']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe('presscloud: --grace-seconds must be an integer, 0 or more, not "soon"\n');
  });
});
