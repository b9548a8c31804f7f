// Storage faults on a real filesystem: a full disk answers 507 and keeps nothing, a broken store answers
// 503; both heal once the fault is gone. The full disk is a small tmpfs mounted for the test (needs root).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobKey } from '../../src/domain/blob-key.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';
import { createSession, downloadBlob, putBytes, sessionStatus, sha256Of } from '../support/api.js';
import { storedBlobFiles, tmpFiles } from '../support/fs-store.js';
import { inlineBlobs } from '../support/sqlite-blobs.js';

const MOUNT_BYTES = 8 * 1024 * 1024;

/** Mounts a tmpfs of MOUNT_BYTES at a new directory; null when this environment refuses the mount. */
async function mountSmallFilesystem(): Promise<string | null> {
  const dir = await makeTempDir('presscloud-full-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${MOUNT_BYTES}`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    await fs.rm(dir, { recursive: true, force: true });
    return null;
  }
}

describe('a full disk (tmpfs of 8 MiB)', () => {
  let mountPoint: string | null = null;
  let server: TestServer | undefined;

  beforeAll(async () => {
    mountPoint = await mountSmallFilesystem();
    if (mountPoint) server = await startServer({ dataDir: path.join(mountPoint, 'data') });
  });

  afterAll(async () => {
    await server?.stop();
    if (mountPoint) {
      execFileSync('umount', [mountPoint]);
      await fs.rm(mountPoint, { recursive: true, force: true });
    }
  });

  it('answers 507 insufficient_storage, keeps nothing partial, and takes the blob once space is freed', async (context) => {
    if (!mountPoint || !server) return context.skip('this environment refuses to mount a tmpfs (the test needs root)');
    const { dataDir } = server;
    const big = randomBytes(3 * 1024 * 1024);
    const sha256 = sha256Of(big);
    const session = (await createSession(server.url, server.token, [{ path: 'big.bin', content: big }])).body;

    // Leave about one MiB free: less than the blob needs.
    const filler = path.join(mountPoint, 'filler');
    const { bavail, bsize } = await fs.statfs(mountPoint);
    await fs.writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - 1024 * 1024)));

    const refused = await putBytes(server.url, server.token, session, big);
    expect(refused.status).toBe(507);
    expect(refused.body).toMatchObject({ error: 'insufficient_storage' });
    expect(await tmpFiles(dataDir)).toEqual([]);
    expect(await fs.stat(path.join(dataDir, 'blobs', ...blobKey(sha256).split('/'))).catch(() => null)).toBeNull();
    expect((await downloadBlob(server.url, server.token, sha256)).status).toBe(404);
    expect((await sessionStatus(server.url, server.token, session.uploadSessionId)).body.missing).toEqual([sha256]);

    await fs.rm(filler);
    const accepted = await putBytes(server.url, server.token, session, big);
    expect(accepted.status).toBe(200);
    expect(await downloadBlob(server.url, server.token, sha256)).toEqual({ status: 200, sha256, size: big.length });
    for (const stored of await storedBlobFiles(dataDir)) expect(stored.sha256).toBe(stored.name);
  });

  it('answers 507 for a small blob, kept in SQLite, when the database cannot grow, and takes it once space is freed', async (context) => {
    if (!mountPoint || !server) return context.skip('this environment refuses to mount a tmpfs (the test needs root)');
    const small = randomBytes(60_000);
    const sha256 = sha256Of(small);
    const session = (await createSession(server.url, server.token, [{ path: 'small.bin', content: small }])).body;

    // No room at all: the WAL cannot take the commit's pages.
    const filler = path.join(mountPoint, 'filler');
    const { bavail, bsize } = await fs.statfs(mountPoint);
    await fs.writeFile(filler, Buffer.alloc(bavail * bsize)).catch(() => undefined);

    const refused = await putBytes(server.url, server.token, session, small);
    expect(refused.status).toBe(507);
    expect(refused.body).toMatchObject({ error: 'insufficient_storage' });
    await fs.rm(filler);
    expect(inlineBlobs(server.dataDir).map((blob) => blob.sha256)).not.toContain(sha256);
    expect((await sessionStatus(server.url, server.token, session.uploadSessionId)).body.missing).toEqual([sha256]);

    const accepted = await putBytes(server.url, server.token, session, small);
    expect(accepted.status).toBe(200);
    expect(await downloadBlob(server.url, server.token, sha256)).toEqual({ status: 200, sha256, size: small.length });
    expect(inlineBlobs(server.dataDir).map((blob) => blob.sha256)).toContain(sha256);
  });
});

describe('a broken blob store', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ dataDir: await makeTempDir('presscloud-broken-store-') });
  });

  afterAll(async () => {
    await server?.stop();
    await fs.rm(server.dataDir, { recursive: true, force: true });
  });

  it('answers 503 storage_unavailable and not ready while its temporary directory is gone, and recovers when it is back', async () => {
    // Over the small-blob threshold, so it goes to the broken store (a small one would go to SQLite).
    const content = randomBytes(100_000);
    const session = (await createSession(server.url, server.token, [{ path: 'a.bin', content }])).body;
    const tmpDir = path.join(server.dataDir, 'tmp');
    // Permissions would not stop root; a missing directory stops everyone.
    await fs.rm(tmpDir, { recursive: true });

    const refused = await putBytes(server.url, server.token, session, content);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: 'storage_unavailable' });
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ error: 'not_ready' });
    expect((await downloadBlob(server.url, server.token, sha256Of(content))).status).toBe(404);

    await fs.mkdir(tmpDir);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await putBytes(server.url, server.token, session, content)).status).toBe(200);
    expect(await downloadBlob(server.url, server.token, sha256Of(content))).toEqual({
      status: 200,
      sha256: sha256Of(content),
      size: 100_000,
    });
  });
});
