// Small blobs in SQLite over a data directory's life: collected in the same sweep as files, their pages
// handed back to the filesystem (incremental vacuum), and a data directory written by an earlier version
// (every blob a file, a database without auto_vacuum) served as it is and switched over at start.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { collectGarbage } from '../../src/domain/garbage-collector.js';
import { sqlitePath } from '../../src/storage/metadata/database.js';
import { Api, downloadBlob, makeBlob } from '../support/api.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';
import { databasePages, inlineBlobs } from '../support/sqlite-blobs.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(dataDir?: string, config: Partial<Config> = {}): Promise<TestServer> {
  const server = await startServer({ dataDir, config });
  cleanups.push(() => server.stop());
  return server;
}

async function objectsInStore(server: TestServer): Promise<string[]> {
  const shas: string[] = [];
  for await (const listed of server.server.backends.blobs.list()) shas.push(listed.key.split('/').pop() ?? '');
  return shas;
}

describe('small blobs in SQLite', () => {
  it('are deleted by the same collection as files, and the database file shrinks', async () => {
    const server = await serve();
    const api = new Api(server.url, server.token);
    const smalls = Array.from({ length: 150 }, (_, i) => makeBlob(`small/${i}.bin`, randomBytes(60_000)));
    const large = makeBlob('large.bin', randomBytes(200_000));
    const session = await api.createSession([...smalls, large]);
    for (const blob of [...smalls, large]) expect((await api.putBlob(session, blob.sha256, blob.bytes)).status).toBe(200);
    expect(inlineBlobs(server.dataDir)).toHaveLength(150);
    expect(await objectsInStore(server)).toEqual([large.sha256]);
    expect((await api.abort(session)).status).toBe(204);
    const before = databasePages(server.dataDir);

    const { metadata, blobs } = server.server.backends;
    const result = await collectGarbage({
      metadata,
      blobs,
      graceSeconds: 0,
      sessionRetentionSeconds: 3600,
      now: new Date(Date.now() + 1000),
    });
    expect(result).toEqual({
      expiredSessions: 0,
      purgedSessions: 0,
      deletedBlobs: 151,
      deletedBytes: 150 * 60_000 + 200_000,
      orphansDeleted: 0,
      abortedUploads: 0,
    });
    expect(inlineBlobs(server.dataDir)).toEqual([]);
    expect(await objectsInStore(server)).toEqual([]);
    expect((await downloadBlob(server.url, server.token, smalls[0].sha256)).status).toBe(404);

    // 9 MB of blobs left: without incremental vacuum the pages would stay on the freelist and the file its size.
    const after = databasePages(server.dataDir);
    expect(after.free).toBe(0);
    expect(before.pages - after.pages).toBeGreaterThan((150 * 60_000) / 4096);
  });

  it("leave an earlier version's data directory readable: its files stay files, new small blobs go to SQLite", async () => {
    const dataDir = await makeTempDir('presscloud-old-layout-');
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const old = makeBlob('old/index.html', '<h1>written by an earlier version</h1>');
    const oldServer = await startServer({ dataDir, config: { smallBlobMaxBytes: 0 } });
    const manifestId = await new Api(oldServer.url, oldServer.token).publish([old]);
    await oldServer.stop();

    // What an earlier version left: migrations up to 0004 only (no blob_bytes table, nor the later ones'
    // tables and columns), auto_vacuum off.
    const db = new SQLite(sqlitePath(dataDir));
    db.exec(`drop table blob_bytes; drop table alias_history; drop table aliases; drop index if exists manifests_by_id;
      drop table resumable_uploads; alter table manifests drop column label; alter table upload_sessions drop column label;
      alter table manifest_files drop column mode;
      delete from kysely_migration where name > '0004-manifest-list'`);
    db.pragma('auto_vacuum = NONE');
    db.exec('VACUUM');
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(0);
    db.close();

    const server = await serve(dataDir);
    const check = new SQLite(sqlitePath(dataDir), { readonly: true });
    expect(check.pragma('auto_vacuum', { simple: true })).toBe(2);
    check.close();
    const token = await server.tokenFor('test');
    const api = new Api(server.url, token);
    const answer = await api.request('GET', `/v1/blobs/${old.sha256}`, { headers: { range: 'bytes=4-10' } });
    expect([answer.status, Buffer.from(await answer.arrayBuffer())]).toEqual([206, old.bytes.subarray(4, 11)]);
    expect((await api.request('GET', `/v1/manifests/${manifestId}`)).status).toBe(200);

    const fresh = makeBlob('new/index.html', '<h1>written now</h1>');
    await api.publish([old, fresh]);
    expect(inlineBlobs(dataDir).map((blob) => blob.sha256)).toEqual([fresh.sha256]);
    expect(await objectsInStore(server)).toEqual([old.sha256]);
    expect(Buffer.from(await (await api.request('GET', `/v1/blobs/${old.sha256}`)).arrayBuffer())).toEqual(old.bytes);
  });
});
