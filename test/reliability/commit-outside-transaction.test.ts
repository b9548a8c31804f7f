// No network call inside a database transaction: while a blob's S3 commit (its one PutObject) is held up,
// the same metadata store still authenticates and still lets a collection take its exclusive lock. On
// SQLite a transaction holds the only connection, so a commit inside one would stall every query.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { Authenticator } from '../../src/domain/authentication.js';
import type { MetadataStore } from '../../src/domain/ports/metadata-store.js';
import { UploadService } from '../../src/domain/upload-service.js';
import { openMetadataStore } from '../../src/runtime.js';
import { QUIET_SDK_LOGGER, s3ClientConfigFromEnv } from '../../src/storage/blob/s3/config.js';
import { S3BlobStore } from '../../src/storage/blob/s3/s3-blob-store.js';
import { sha256Of } from '../support/api.js';
import { createTestSchema, POSTGRES_URL } from '../support/postgres.js';
import { type RunningS3rver, startS3rver } from '../support/s3rver.js';
import { makeTempDir } from '../support/server.js';

/** Once armed, holds every PutObject (a small blob's commit) until release(); `reached` resolves at the first. */
function commitGate() {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  let released = false;
  let armed = false;
  return {
    reached,
    /** After init(), whose probe of If-None-Match also writes. */
    arm() {
      armed = true;
    },
    get released() {
      return released;
    },
    release() {
      released = true;
      open();
    },
    async hold(commandName: string | undefined) {
      if (!armed || commandName !== 'PutObjectCommand') return;
      reach();
      await opened;
    },
  };
}

const NO_METRICS = { bytesReceived() {}, blobStored() {}, dedupeHit() {} };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sqliteStore(): Promise<MetadataStore> {
  const dataDir = await makeTempDir('presscloud-commit-');
  const store = await openMetadataStore({ dataDir, databaseUrl: undefined });
  cleanups.push(
    () => fs.rm(dataDir, { recursive: true, force: true }),
    () => store.close(),
  );
  return store;
}

async function postgresStore(): Promise<MetadataStore> {
  const { schema, drop } = await createTestSchema();
  const store = await openMetadataStore({ dataDir: '.', databaseUrl: POSTGRES_URL }, { databaseSchema: schema });
  cleanups.push(drop, () => store.close());
  return store;
}

function gatedS3Store(s3rver: RunningS3rver, gate: ReturnType<typeof commitGate>): S3BlobStore {
  const client = new S3Client({
    ...s3ClientConfigFromEnv({ AWS_ENDPOINT_URL_S3: s3rver.endpoint, AWS_REGION: s3rver.region }),
    credentials: s3rver.credentials,
    logger: QUIET_SDK_LOGGER,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      await gate.hold(context.commandName);
      return next(args);
    },
    { step: 'initialize', name: 'holdCommits' },
  );
  cleanups.push(async () => client.destroy());
  return new S3BlobStore({ bucket: s3rver.bucket, prefix: `commit-${randomBytes(4).toString('hex')}` }, { client });
}

describe.each([
  ['SQLite', sqliteStore],
  ['PostgreSQL', postgresStore],
])('a blob commit held up in S3, on %s', (_name, openStore) => {
  it('keeps the database answering: authentication, and the exclusive lock a collection takes', async () => {
    const s3rver = await startS3rver();
    cleanups.push(() => s3rver.stop());
    const gate = commitGate();
    const metadata = await openStore();
    const blobs = gatedS3Store(s3rver, gate);
    await blobs.init();
    gate.arm();
    const service = new UploadService(metadata, blobs, { maxBlobSize: 1024 ** 2, maxManifestFiles: 10 }, NO_METRICS);
    const authenticator = new Authenticator(metadata);
    const token = await issueApiToken(metadata, 'held', ['upload', 'read']);
    const principal = await authenticator.authenticate(`Bearer ${token}`);

    // Over the small-blob threshold: a smaller blob on SQLite goes into the database with its rows, never to S3.
    const bytes = randomBytes(DEFAULT_CONFIG.smallBlobMaxBytes + 1);
    const sha256 = sha256Of(bytes);
    const session = await service.createSession(principal, { files: [{ path: 'a.bin', sha256, size: bytes.length }] });
    const put = service.putBlob(principal, {
      sessionId: session.uploadSessionId,
      sha256,
      uploadToken: session.uploadToken,
      contentType: 'application/octet-stream',
      contentLength: bytes.length,
      body: (async function* () {
        yield bytes;
      })(),
    });
    await gate.reached;

    // Only so that a stalled database ends the test with a failure instead of a hang.
    const unstick = setTimeout(() => gate.release(), 10_000);
    try {
      expect((await authenticator.authenticate(`Bearer ${token}`)).tenantId).toBe(principal.tenantId);
      await metadata.forgetBlobs([]);
      expect(gate.released, 'the database answered only once the S3 commit went on').toBe(false);
    } finally {
      clearTimeout(unstick);
      gate.release();
    }

    expect(await put).toMatchObject({ alreadyPresent: false, blob: { sha256, size: bytes.length } });
    const stored = await service.openBlob(principal, sha256);
    const chunks: Buffer[] = [];
    for await (const chunk of await stored.read()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });
});
