// Garbage collection: what it deletes (aborted, expired and orphaned blobs past the grace, finished sessions
// past the retention), what it must keep (manifests and their blobs, open sessions, young blobs), and that
// it never loses a blob being PUT.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { blobKey } from '../../src/domain/blob-key.js';
import { collectGarbage } from '../../src/domain/garbage-collector.js';
import {
  Api,
  abortSession,
  completeSession,
  createSession,
  downloadBlob,
  getManifest,
  manifestOf,
  putBlob,
  sessionStatus,
  sha256Of,
  uploadAll,
  type LocalFile,
} from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';
import { storeBlob } from '../support/stores.js';

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

/** Whether the blob store (on any backend) holds the blob's bytes. */
async function stores(server: TestServer, sha256: string): Promise<boolean> {
  return (await server.storedBlobs()).includes(sha256);
}

/** Uploads the files into a new session and leaves it open. */
async function uploadWithoutCompleting(server: TestServer, files: LocalFile[]) {
  const created = await createSession(server.url, server.token, files);
  expect(created.status).toBe(201);
  for (const f of files) expect((await putBlob(server.url, server.token, created.body, f.content)).status).toBe(200);
  return created.body;
}

const WEEK = 7 * 86_400;

function gcAt(server: TestServer, options: { graceSeconds: number; sessionRetentionSeconds?: number; now?: Date }) {
  const { metadata, blobs } = server.server.backends;
  const sessionRetentionSeconds = options.sessionRetentionSeconds ?? WEEK;
  return collectGarbage({ metadata, blobs, graceSeconds: options.graceSeconds, sessionRetentionSeconds, now: options.now ?? new Date() });
}

describe('collectGarbage', () => {
  it('deletes the bytes and the presence of a blob whose session was aborted, once past the grace', async () => {
    const server = await serve();
    const doomed = file('doomed.bin', 5000);
    const sha256 = sha256Of(doomed.content);
    const session = await uploadWithoutCompleting(server, [doomed]);
    expect((await abortSession(server.url, server.token, session)).status).toBe(204);

    // Within the grace nothing goes.
    expect(await gcAt(server, { graceSeconds: 3600 })).toMatchObject({ deletedBlobs: 0 });
    expect(await stores(server, sha256)).toBe(true);

    const result = await gcAt(server, { graceSeconds: 60, now: new Date(Date.now() + 120_000) });
    expect(result).toEqual({
      expiredSessions: 0,
      purgedSessions: 0,
      deletedBlobs: 1,
      deletedBytes: 5000,
      orphansDeleted: 0,
      abortedUploads: 0,
    });
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
      body: JSON.stringify({ files: [{ path: 'e.bin', sha256: sha256Of(inExpiredSession.content), size: 2048 }], expiresInSeconds: 1 }),
    });
    const expiringSession = (await expiring.json()) as { uploadSessionId: string; uploadToken: string; missing: string[] };
    expect((await putBlob(server.url, server.token, expiringSession, inExpiredSession.content)).status).toBe(200);

    // Two seconds on, with no grace: the expired session is expired and its blob goes; the others stay.
    const result = await gcAt(server, { graceSeconds: 0, now: new Date(Date.now() + 2000) });
    expect(result).toMatchObject({ expiredSessions: 1, deletedBlobs: 1, orphansDeleted: 0 });
    for (const kept of [inManifest, inOpenSession]) {
      const sha256 = sha256Of(kept.content);
      expect(await downloadBlob(server.url, server.token, sha256)).toEqual({ status: 200, sha256, size: kept.content.length });
    }
    expect(await stores(server, sha256Of(inExpiredSession.content))).toBe(false);
  });

  it('purges finished sessions with their lists once past the retention, keeping manifests and open sessions', async () => {
    const server = await serve();
    const { metadata } = server.server.backends;
    const tenant = await metadata.ensureTenant('test');
    const api = new Api(server.url, server.token);
    const kept = file('kept.bin');
    const completed = await uploadWithoutCompleting(server, [kept]);
    const done = await completeSession(server.url, server.token, completed);
    expect(done.status).toBe(200);
    const manifestId = (done.body.manifest as { manifestId: string }).manifestId;
    const never = file('never.bin');
    const aborted = (await createSession(server.url, server.token, [never])).body;
    expect((await abortSession(server.url, server.token, aborted)).status).toBe(204);
    const expiring = await api.createSession(manifestOf([file('expiring.bin')]), { expiresInSeconds: 1 });
    const open = await api.createSession(manifestOf([file('open.bin')]), { expiresInSeconds: 86_400 });
    const finished = [completed.uploadSessionId, aborted.uploadSessionId, expiring.uploadSessionId];

    // Within the retention every session stays, with its blob list.
    expect(await gcAt(server, { graceSeconds: 3600, sessionRetentionSeconds: 3600 })).toMatchObject({ purgedSessions: 0 });
    for (const id of [...finished, open.uploadSessionId]) expect((await sessionStatus(server.url, server.token, id)).status).toBe(200);
    expect(await metadata.missingBlobs(tenant.id, aborted.uploadSessionId)).toEqual([sha256Of(never.content)]);

    // Two hours on, an hour past the retention: the expiring session expires and goes with the finished ones.
    const later = new Date(Date.now() + 2 * 3_600_000);
    const result = await gcAt(server, { graceSeconds: 3600, sessionRetentionSeconds: 3600, now: later });
    expect(result).toMatchObject({ expiredSessions: 1, purgedSessions: 3 });
    for (const id of finished) {
      expect((await sessionStatus(server.url, server.token, id)).status).toBe(404);
      expect(await metadata.sessionFiles(id)).toEqual([]);
      expect(await metadata.missingBlobs(tenant.id, id)).toEqual([]);
    }
    expect((await sessionStatus(server.url, server.token, open.uploadSessionId)).body.state).toBe('open');
    const manifest = await getManifest(server.url, server.token, manifestId);
    expect(manifest.status).toBe(200);
    expect(manifest.body.files.map((f) => f.sha256)).toEqual([sha256Of(kept.content)]);
    expect((await downloadBlob(server.url, server.token, sha256Of(kept.content))).status).toBe(200);
  });

  it('deletes objects without any row (a crash between bytes and row) only once past the grace', async () => {
    const server = await serve();
    const { blobs } = server.server.backends;
    const orphan = randomBytes(3000);
    const sha256 = sha256Of(orphan);
    // Bytes straight into the store, with no row: what a crash between the two leaves.
    async function* body() {
      yield orphan;
    }
    await storeBlob(blobs, blobKey(sha256), body(), { sha256, size: orphan.length });

    expect(await gcAt(server, { graceSeconds: 600 })).toEqual({
      expiredSessions: 0,
      purgedSessions: 0,
      deletedBlobs: 0,
      deletedBytes: 0,
      orphansDeleted: 0,
      abortedUploads: 0,
    });
    expect(await stores(server, sha256)).toBe(true);

    const inAnHour = new Date(Date.now() + 3_600_000);
    expect(await gcAt(server, { graceSeconds: 600, now: inAnHour })).toEqual({
      expiredSessions: 0,
      purgedSessions: 0,
      deletedBlobs: 1,
      deletedBytes: 3000,
      orphansDeleted: 1,
      abortedUploads: 0,
    });
    expect(await stores(server, sha256)).toBe(false);
  });

  it('answers a PUT that meets a blob being collected with a retryable 503, and takes it once the collection is done', async () => {
    const server = await serve();
    const contested = file('contested.bin', 3000);
    const sha256 = sha256Of(contested.content);
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
    const sha256 = sha256Of(doomed.content);
    // Gone once a periodic collection has run; a server that never collects fails on the test's timeout.
    while (await stores(server, sha256)) await new Promise((r) => setTimeout(r, 100));
  });
});
