// A blob PUT while garbage collection runs is never lost: uploads, completions and aborts hammer a server
// (a child process, as in production) while another process's collector runs back to back with no grace.
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectGarbage } from '../../src/domain/garbage-collector.js';
import { openMetadataStore } from '../../src/runtime.js';
import { FsBlobStore } from '../../src/storage/blob/fs-blob-store.js';
import type { MetadataStore } from '../../src/domain/ports/metadata-store.js';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import {
  abortSession,
  completeSession,
  createSession,
  downloadBlob,
  getManifest,
  putBlob,
  sha256Of,
  type LocalFile,
  type OpenSession,
} from '../support/api.js';
import { storedBlobFiles } from '../support/fs-store.js';

/** How long the hammering lasts at least; on a slow machine it goes on until it has done ENOUGH. */
const HAMMER_MS = 4000;
const WORKERS = 6;
/** The least work that makes the run mean something: asserted at the end, and worked towards past HAMMER_MS. */
const ENOUGH = { collections: 10, deletedBlobs: 1, manifests: 21 };
/** A cap so that a run which can never reach ENOUGH fails on the assertions rather than hanging. */
const MAX_SESSIONS = 3000;
/** The default: no session is purged while the hammer runs. */
const RETENTION = 7 * 86_400;

let dataDir: string;
let server: ServeProcess;
let metadata: MetadataStore;
/** Two tenants: blobs are stored once for both, so one tenant's garbage is another's upload in flight. */
let tokens: string[];

beforeAll(async () => {
  dataDir = await makeTempDir('presscloud-gc-hammer-');
  metadata = await openMetadataStore({ dataDir, databaseUrl: undefined });
  tokens = [await issueApiToken(metadata, 'hammer-a', ['upload', 'read']), await issueApiToken(metadata, 'hammer-b', ['upload', 'read'])];
  server = await startServeProcess(dataDir);
});

afterAll(async () => {
  await server?.kill();
  await metadata?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** PUT, retrying the 503 a collection answers while it deletes this very blob. */
async function putUntilStored(token: string, session: OpenSession, content: Buffer, stats: { retried: number }): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const put = await putBlob(server.url, token, session, content);
    if (put.status === 200) return;
    stats.retried++;
    if (put.status !== 503 || put.body.error !== 'storage_unavailable' || put.headers.get('retry-after') === null) {
      throw new Error(`PUT answered ${put.status} ${JSON.stringify(put.body)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('PUT kept answering 503');
}

it('keeps every blob of every completed manifest readable while collections run with grace 0', async () => {
  // A small pool of contents shared by many sessions, renewed slot by slot: blobs only aborted sessions
  // named become garbage while other sessions are still PUTting them.
  const shared = Array.from({ length: 6 }, () => randomBytes(randomInt(100, 20_000)));
  const renewal = setInterval(() => (shared[randomInt(shared.length)] = randomBytes(randomInt(100, 20_000))), 100);
  const manifests = new Map<string, { token: string; sha256s: string[] }>();
  const stats = { sessions: 0, aborted: 0, puts: 0, retried: 0, collections: 0, deletedBlobs: 0 };
  const stopAt = Date.now() + HAMMER_MS;
  const enough = () =>
    stats.collections >= ENOUGH.collections && stats.deletedBlobs >= ENOUGH.deletedBlobs && manifests.size >= ENOUGH.manifests;
  const keepGoing = () => stats.sessions < MAX_SESSIONS && (Date.now() < stopAt || !enough());

  const worker = async (id: number) => {
    const token = tokens[id % tokens.length];
    for (let round = 0; keepGoing(); round++) {
      const files: LocalFile[] = [
        { path: `w${id}/r${round}/own.bin`, content: randomBytes(randomInt(1, 30_000)) },
        { path: `w${id}/r${round}/shared-a.bin`, content: shared[randomInt(shared.length)] },
        { path: `w${id}/r${round}/shared-b.bin`, content: shared[randomInt(shared.length)] },
      ];
      const bySha = new Map(files.map((f) => [sha256Of(f.content), f.content]));
      const created = await createSession(server.url, token, files);
      expect(created.status).toBe(201);
      stats.sessions++;
      for (const sha256 of created.body.missing) {
        await putUntilStored(token, created.body, bySha.get(sha256) ?? Buffer.alloc(0), stats);
        stats.puts++;
      }
      if (randomInt(10) < 4) {
        expect((await abortSession(server.url, token, created.body)).status).toBe(204);
        stats.aborted++;
        continue;
      }
      const done = await completeSession(server.url, token, created.body);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      manifests.set((done.body.manifest as { manifestId: string }).manifestId, { token, sha256s: [...bySha.keys()] });
    }
  };

  const collector = async () => {
    const blobs = new FsBlobStore(dataDir);
    while (keepGoing()) {
      const result = await collectGarbage({ metadata, blobs, graceSeconds: 0, sessionRetentionSeconds: RETENTION, now: new Date() });
      stats.collections++;
      stats.deletedBlobs += result.deletedBlobs;
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  const hammerStart = Date.now();
  try {
    await Promise.all([collector(), ...Array.from({ length: WORKERS }, (_, id) => worker(id))]);
  } finally {
    clearInterval(renewal);
  }
  // And once more after the dust settles: completed manifests still hold everything.
  const hammerMs = Date.now() - hammerStart;
  await collectGarbage({ metadata, blobs: new FsBlobStore(dataDir), graceSeconds: 0, sessionRetentionSeconds: RETENTION, now: new Date() });

  expect(stats.collections).toBeGreaterThanOrEqual(ENOUGH.collections);
  expect(stats.deletedBlobs).toBeGreaterThanOrEqual(ENOUGH.deletedBlobs);
  expect(manifests.size).toBeGreaterThanOrEqual(ENOUGH.manifests);
  for (const [manifestId, { token, sha256s }] of manifests) {
    const manifest = await getManifest(server.url, token, manifestId);
    expect(manifest.status).toBe(200);
    expect(new Set(manifest.body.files.map((f) => f.sha256))).toEqual(new Set(sha256s));
    for (const sha256 of sha256s)
      expect((await downloadBlob(server.url, token, sha256)).sha256, `blob ${sha256} of ${manifestId}`).toBe(sha256);
  }
  for (const stored of await storedBlobFiles(dataDir)) expect(stored.sha256).toBe(stored.name);
  const checkMs = Date.now() - hammerStart - hammerMs;
  console.info(`gc hammer: ${JSON.stringify({ ...stats, manifests: manifests.size, hammerMs, checkMs })}`);
});
