// Crash safety: a `presscloud serve` process is SIGKILLed at a random moment of concurrent uploads and
// completions, restarted on the same data directory, and checked, round after round. Set
// PRESSCLOUD_CRASH_ROUNDS and PRESSCLOUD_CRASH_SEED to run longer or to replay a failing run.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { openMetadataStore } from '../../src/runtime.js';
import { sqlitePath } from '../../src/storage/metadata/database.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { makeTempDir } from '../support/server.js';
import {
  completeSession,
  createSession,
  downloadBlob,
  getManifest,
  putBlob,
  sessionStatus,
  sha256Hex,
  storedBlobFiles,
  tmpFiles,
  type HashCache,
  type LocalFile,
  type OpenSession,
} from '../support/upload-api.js';

const ROUNDS = Number(process.env.PRESSCLOUD_CRASH_ROUNDS ?? 20);
const SEED = Number(process.env.PRESSCLOUD_CRASH_SEED ?? Date.now() % 2 ** 31);
const WORKERS = 4;

/** mulberry32: a tiny seeded generator, so a failing run's kill moments and choices can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const random = seededRandom(SEED);
const between = (low: number, high: number) => low + Math.floor(random() * (high - low));

interface TrackedSession {
  readonly token: string;
  readonly session: OpenSession;
  readonly files: LocalFile[];
  manifestId?: string;
}

let dataDir: string;
let tokens: string[];
let server: ServeProcess | undefined;
/** sha256 → the tokens of the tenants whose PUT of it was answered 200. */
const acknowledged = new Map<string, Set<string>>();
let unchecked: Array<{ sha256: string; token: string }> = [];
const manifests = new Map<string, { token: string; sha256s: Set<string> }>();
/** A pool of contents several sessions share, so PUTs of one blob race across sessions and tenants. */
const sharedContents = Array.from({ length: 8 }, () => randomBytes(between(1, 40_000)));
const hashes: HashCache = new Map();

beforeAll(async () => {
  dataDir = await makeTempDir('presscloud-crash-');
  const metadata = await openMetadataStore({ dataDir, databaseUrl: undefined });
  try {
    tokens = [await issueApiToken(metadata, 'crash-a', ['upload', 'read']), await issueApiToken(metadata, 'crash-b', ['upload', 'read'])];
  } finally {
    await metadata.close();
  }
});

afterAll(async () => {
  await server?.kill();
  await fs.rm(dataDir, { recursive: true, force: true });
});

function someFiles(prefix: string): LocalFile[] {
  return Array.from({ length: between(2, 6) }, (_, i) => {
    const roll = random();
    // Mostly small files; some big enough that a kill lands in the middle of their body.
    const content = roll < 0.3 ? sharedContents[between(0, sharedContents.length)] : randomBytes(roll < 0.85 ? between(0, 32 * 1024) : between(128 * 1024, 512 * 1024));
    return { path: `${prefix}/file-${i}.bin`, content };
  });
}

function acknowledge(sha256: string, token: string) {
  const tenants = acknowledged.get(sha256) ?? new Set<string>();
  if (!tenants.has(token)) unchecked.push({ sha256, token });
  acknowledged.set(sha256, tenants.add(token));
}

/** Uploads and completes sessions until the server dies under it; records every 200 it was given. */
async function uploadUntilKilled(url: string, worker: number, round: number, sessions: TrackedSession[]): Promise<void> {
  const token = tokens[worker % tokens.length];
  try {
    for (let n = 0; ; n++) {
      const files = someFiles(`r${round}/w${worker}/s${n}`);
      const created = await createSession(url, token, files);
      expect(created.status).toBe(201);
      const tracked: TrackedSession = { token, session: created.body, files };
      sessions.push(tracked);
      const bySha = new Map(files.map((f) => [sha256Hex(f.content), f.content]));
      await Promise.all(
        created.body.missing.map(async (sha256) => {
          const put = await putBlob(url, token, created.body, bySha.get(sha256) ?? Buffer.alloc(0));
          expect(put.status, JSON.stringify(put.body)).toBe(200);
          acknowledge(sha256, token);
        }),
      );
      const done = await completeSession(url, token, created.body);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      tracked.manifestId = (done.body.manifest as { manifestId: string }).manifestId;
      manifests.set(tracked.manifestId, { token, sha256s: new Set(bySha.keys()) });
    }
  } catch (err) {
    // The kill shows up as a failed fetch; anything else (a wrong status) is a real failure.
    if (!(err instanceof TypeError)) throw err;
  }
}

/** Every row that names a blob, read straight from the database file. */
function blobsNamedByMetadata(): Set<string> {
  const db = new SQLite(sqlitePath(dataDir), { readonly: true });
  try {
    const rows = db
      .prepare(
        `select sha256 from tenant_blobs union select sha256 from manifest_files union select sha256 from blobs where deleting_at is null`,
      )
      .all() as Array<{ sha256: string }>;
    return new Set(rows.map((r) => r.sha256));
  } finally {
    db.close();
  }
}

async function checkStore(url: string): Promise<void> {
  expect(await tmpFiles(dataDir), 'temporaries left after restart').toEqual([]);
  const stored = await storedBlobFiles(dataDir, hashes);
  for (const file of stored) expect(file.sha256, `bytes at key ${file.name}`).toBe(file.name);
  const onDisk = new Set(stored.map((f) => f.name));
  for (const sha256 of blobsNamedByMetadata()) expect(onDisk.has(sha256), `metadata names ${sha256}, absent from the store`).toBe(true);

  const toCheck = unchecked;
  unchecked = [];
  await Promise.all(
    toCheck.map(async ({ sha256, token }) => expect((await downloadBlob(url, token, sha256)).sha256, `acknowledged blob ${sha256}`).toBe(sha256)),
  );
}

/**
 * An interrupted session's status answers and its `missing` is exact: nothing acknowledged is listed, and
 * what is not listed the tenant can read. Reads only, so every session is checked before any is finished.
 */
async function checkInterrupted(url: string, tracked: TrackedSession): Promise<string[]> {
  const { token, session, files } = tracked;
  const status = await sessionStatus(url, token, session.uploadSessionId);
  expect(status.status).toBe(200);
  if (status.body.state === 'completed') return [];
  expect(status.body.state).toBe('open');
  const missing = new Set(status.body.missing);
  for (const sha256 of new Set(files.map((f) => sha256Hex(f.content)))) {
    const download = await downloadBlob(url, token, sha256);
    if (missing.has(sha256)) {
      expect(acknowledged.get(sha256)?.has(token) ?? false, `acknowledged ${sha256} listed missing`).toBe(false);
      expect(download.status).toBe(404);
    } else {
      expect(download.sha256).toBe(sha256);
    }
  }
  return [...missing];
}

/** Uploads what the session misses and completes it. */
async function finishInterrupted(url: string, tracked: TrackedSession, missing: string[]): Promise<void> {
  const { token, session, files } = tracked;
  const bySha = new Map(files.map((f) => [sha256Hex(f.content), f.content]));
  for (const sha256 of missing) {
    expect((await putBlob(url, token, session, bySha.get(sha256) ?? Buffer.alloc(0))).status).toBe(200);
    acknowledge(sha256, token);
  }
  const done = await completeSession(url, token, session);
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  manifests.set((done.body.manifest as { manifestId: string }).manifestId, { token, sha256s: new Set(bySha.keys()) });
}

it(`keeps every acknowledged blob and manifest through ${ROUNDS} SIGKILLs (seed ${SEED})`, async () => {
  const kills: number[] = [];
  const phases = { workMs: 0, restartMs: 0, checkMs: 0, resumeMs: 0 };
  const timed = async <T>(phase: keyof typeof phases, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      phases[phase] += Math.round(performance.now() - start);
    }
  };
  let interrupted = 0;
  server = await startServeProcess(dataDir);
  for (let round = 0; round < ROUNDS; round++) {
    const sessions: TrackedSession[] = [];
    const url = server.url;
    const work = Promise.all(Array.from({ length: WORKERS }, (_, worker) => uploadUntilKilled(url, worker, round, sessions)));
    const killAfterMs = between(50, 600);
    kills.push(killAfterMs);
    await timed('workMs', async () => {
      await new Promise((r) => setTimeout(r, killAfterMs));
      await server?.kill();
      await work;
    });

    const restarted = await timed('restartMs', () => startServeProcess(dataDir));
    server = restarted;
    await timed('checkMs', () => checkStore(restarted.url));
    const open = sessions.filter((s) => s.manifestId === undefined);
    interrupted += open.length;
    await timed('resumeMs', async () => {
      const missing = await Promise.all(open.map((s) => checkInterrupted(restarted.url, s)));
      await Promise.all(open.map((s, i) => finishInterrupted(restarted.url, s, missing[i])));
    });
  }

  // Finally, everything ever acknowledged, and every manifest, file by file.
  for (const [sha256, tenants] of acknowledged) for (const token of tenants) unchecked.push({ sha256, token });
  await checkStore(server.url);
  for (const [manifestId, { token, sha256s }] of manifests) {
    const manifest = await getManifest(server.url, token, manifestId);
    expect(manifest.status).toBe(200);
    expect(new Set(manifest.body.files.map((f) => f.sha256))).toEqual(sha256s);
  }
  const storedBytes = (await storedBlobFiles(dataDir)).reduce((sum, f) => sum + f.size, 0);
  console.info(
    `crash harness: ${JSON.stringify({ seed: SEED, rounds: ROUNDS, acknowledgedBlobs: acknowledged.size, manifests: manifests.size, interruptedSessionsResumed: interrupted, storedBytes, phases, killAfterMs: kills })}`,
  );
  expect(manifests.size).toBeGreaterThan(ROUNDS);
}, 120_000);
