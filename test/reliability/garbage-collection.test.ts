// Garbage collection: what it deletes (aborted, expired and orphaned blobs past the grace), what it must
// keep (blobs of manifests and open sessions, young blobs), and that it never loses a blob being PUT.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { blobKey } from '../../src/domain/blob-key.js';
import { collectGarbage } from '../../src/domain/garbage-collector.js';
import { runCli } from '../cli/run-cli.js';
import { startServer, TEST_BACKEND, type TestServer } from '../support/server.js';
import {
  abortSession,
  createSession,
  downloadBlob,
  putBlob,
  sha256Hex,
  uploadAll,
  type LocalFile,
} from '../support/upload-api.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serve(config: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const server = await startServer(config);
  servers.push(server);
  return server;
}

function file(name: string, bytes = 2048): LocalFile {
  return { path: name, content: randomBytes(bytes) };
}

function blobPath(dataDir: string, sha256: string): string {
  return path.join(dataDir, 'blobs', ...blobKey(sha256).split('/'));
}

/** Whether the blob store (on any backend) holds the blob's bytes. */
async function stores(server: TestServer, sha256: string): Promise<boolean> {
  return (await server.storedBlobs()).includes(sha256);
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/** Uploads the files into a new session and leaves it open. */
async function uploadWithoutCompleting(server: TestServer, files: LocalFile[]) {
  const created = await createSession(server.url, server.token, files);
  expect(created.status).toBe(201);
  for (const f of files) expect((await putBlob(server.url, server.token, created.body, f.content)).status).toBe(200);
  return created.body;
}

function gcAt(server: TestServer, options: { graceSeconds: number; now?: Date }) {
  const { metadata, blobs } = server.server.backends;
  return collectGarbage({ metadata, blobs, graceSeconds: options.graceSeconds, now: options.now ?? new Date() });
}

describe('collectGarbage', () => {
  it('deletes the bytes and the presence of a blob whose session was aborted, once past the grace', async () => {
    const server = await serve();
    const doomed = file('doomed.bin', 5000);
    const sha256 = sha256Hex(doomed.content);
    const session = await uploadWithoutCompleting(server, [doomed]);
    expect((await abortSession(server.url, server.token, session)).status).toBe(204);

    // Within the grace nothing goes.
    expect(await gcAt(server, { graceSeconds: 3600 })).toMatchObject({ deletedBlobs: 0 });
    expect(await stores(server, sha256)).toBe(true);

    const result = await gcAt(server, { graceSeconds: 60, now: new Date(Date.now() + 120_000) });
    expect(result).toEqual({ expiredSessions: 0, deletedBlobs: 1, deletedBytes: 5000, orphansDeleted: 0 });
    expect(await stores(server, sha256)).toBe(false);
    expect((await downloadBlob(server.url, server.token, sha256)).status).toBe(404);

    const again = await createSession(server.url, server.token, [doomed]);
    expect(again.body.missing).toEqual([sha256]);
    expect((await putBlob(server.url, server.token, again.body, doomed.content)).body).toMatchObject({ alreadyPresent: false });
    expect(await downloadBlob(server.url, server.token, sha256)).toEqual({ status: 200, sha256, size: 5000 });
  });

  it('keeps blobs named by a manifest or by an open session, and collects those of expired sessions', async () => {
    const server = await serve();
    const inManifest = file('kept/manifest.bin');
    const inOpenSession = file('kept/open.bin');
    const inExpiredSession = file('gone/expired.bin');
    await uploadAll(server.url, server.token, [inManifest]);
    await uploadWithoutCompleting(server, [inOpenSession]);
    const expiring = await fetch(`${server.url}/v1/upload-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ files: [{ path: 'e.bin', sha256: sha256Hex(inExpiredSession.content), size: 2048 }], expiresInSeconds: 1 }),
    });
    const expiringSession = (await expiring.json()) as { uploadSessionId: string; uploadToken: string; missing: string[] };
    expect((await putBlob(server.url, server.token, expiringSession, inExpiredSession.content)).status).toBe(200);

    // Two seconds on, with no grace: the expired session is expired and its blob goes; the others stay.
    const result = await gcAt(server, { graceSeconds: 0, now: new Date(Date.now() + 2000) });
    expect(result).toMatchObject({ expiredSessions: 1, deletedBlobs: 1, orphansDeleted: 0 });
    for (const kept of [inManifest, inOpenSession]) {
      const sha256 = sha256Hex(kept.content);
      expect(await downloadBlob(server.url, server.token, sha256)).toEqual({ status: 200, sha256, size: kept.content.length });
    }
    expect(await stores(server, sha256Hex(inExpiredSession.content))).toBe(false);
  });

  // Orphans are planted as files, so on the file store only; the collector finds them through list() on any store.
  it.skipIf(TEST_BACKEND !== 'sqlite-fs')('deletes objects without any row (a crash between bytes and row) only once past the grace', async () => {
    const server = await serve();
    const old = randomBytes(3000);
    const young = randomBytes(1000);
    for (const bytes of [old, young]) {
      const target = blobPath(server.dataDir, sha256Hex(bytes));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, bytes);
    }
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await fs.utimes(blobPath(server.dataDir, sha256Hex(old)), anHourAgo, anHourAgo);

    const result = await gcAt(server, { graceSeconds: 600 });
    expect(result).toEqual({ expiredSessions: 0, deletedBlobs: 1, deletedBytes: 3000, orphansDeleted: 1 });
    expect(await exists(blobPath(server.dataDir, sha256Hex(old)))).toBe(false);
    expect(await exists(blobPath(server.dataDir, sha256Hex(young)))).toBe(true);
  });

  it('answers a PUT that meets a blob being collected with a retryable 503, and takes it once the collection is done', async () => {
    const server = await serve();
    const contested = file('contested.bin', 3000);
    const sha256 = sha256Hex(contested.content);
    await abortSession(server.url, server.token, await uploadWithoutCompleting(server, [contested]));

    // The collection's first step, alone: the blob is tombstoned and its bytes not yet deleted.
    const { metadata, blobs } = server.server.backends;
    const now = new Date(Date.now() + 1000).toISOString();
    expect(await metadata.tombstoneGarbage(now, [], now)).toEqual([sha256]);

    const other = await server.tokenFor('other-tenant');
    const session = (await createSession(server.url, other, [contested])).body;
    expect(session.missing).toEqual([sha256]);
    const refused = await putBlob(server.url, other, session, contested.content);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('storage_unavailable');
    expect(refused.headers.get('retry-after')).toBe('1');

    await blobs.delete(blobKey(sha256));
    await metadata.forgetBlobs([sha256]);
    expect((await putBlob(server.url, other, session, contested.content)).body).toMatchObject({ alreadyPresent: false });
    expect(await downloadBlob(server.url, other, sha256)).toEqual({ status: 200, sha256, size: 3000 });
  });

  it('runs inside serve every gcIntervalSeconds', async () => {
    const server = await serve({ config: { gcIntervalSeconds: 1, gcGraceSeconds: 0 } });
    const doomed = file('periodic.bin');
    const session = await uploadWithoutCompleting(server, [doomed]);
    await abortSession(server.url, server.token, session);
    const sha256 = sha256Hex(doomed.content);
    const deadline = Date.now() + 5000;
    while ((await stores(server, sha256)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await stores(server, sha256)).toBe(false);
  });
});

describe.skipIf(TEST_BACKEND !== 'sqlite-fs')('presscloud gc', () => {
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
    expect(JSON.parse(run.stdout)).toEqual({ expiredSessions: 0, deletedBlobs: 1, deletedBytes: 4096, orphansDeleted: 0 });
    expect(await exists(inFlightTemporary)).toBe(true);
    expect((await downloadBlob(server.url, server.token, sha256Hex(kept.content))).status).toBe(200);

    const human = await runCli(['gc', '--data-dir', server.dataDir, '--grace-seconds', '0']);
    expect(human.stdout).toBe('expired 0 session(s); deleted 0 blob(s), 0 bytes (0 of them orphans)\n');
  });

  it('refuses a bad --grace-seconds with one line and a non-zero exit', async () => {
    const run = await runCli(['gc', '--data-dir', '/nonexistent-presscloud', '--grace-seconds', 'soon']);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
