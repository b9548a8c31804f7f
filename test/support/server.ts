// Starts a real PressCloud server in-process on 127.0.0.1:0 over fresh backends: a temp data directory
// (SQLite + files), or — when PRESSCLOUD_TEST_BACKEND=postgres-s3, as the vitest project of that name
// sets — a fresh PostgreSQL schema and an s3rver bucket on loopback.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configWith, type Config } from '../../src/config.js';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import type { Scope } from '../../src/domain/types.js';
import { startServer as startRunningServer, type RunningServer } from '../../src/server.js';
import { createTestSchema, POSTGRES_URL } from './postgres.js';
import { startS3rver } from './s3rver.js';
import { inlineBlobs } from './sqlite-blobs.js';
import { blobKey } from '../../src/domain/blob-key.js';

export type TestBackend = 'sqlite-fs' | 'postgres-s3';
export const TEST_BACKEND: TestBackend = process.env.PRESSCLOUD_TEST_BACKEND === 'postgres-s3' ? 'postgres-s3' : 'sqlite-fs';

export interface TestServer {
  readonly url: string;
  /** A token of tenant "test" with both scopes. */
  readonly token: string;
  readonly dataDir: string;
  readonly server: RunningServer;
  /** Another token, for another tenant or with other scopes. */
  tokenFor(tenant: string, scopes?: Scope[]): Promise<string>;
  /** The sha256s stored (on any backend): in the blob store, and the small blobs kept in SQLite. */
  storedBlobs(): Promise<string[]>;
  /** The sha256s whose bytes SQLite keeps (none on PostgreSQL). */
  inlineBlobs(): string[];
  /** A stored blob's bytes, from wherever it lives; null when it is stored nowhere. */
  storedBytes(sha256: string): Promise<Buffer | null>;
  /** Moves the service's clock forward (session expiry) instead of waiting for it. */
  advanceClock(ms: number): void;
  stop(): Promise<void>;
}

export async function makeTempDir(prefix = 'presscloud-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function startServer(
  options: { dataDir?: string; config?: Partial<Config>; databaseSchema?: string } = {},
): Promise<TestServer> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await makeTempDir());
  const cleanups: Array<() => Promise<void>> = [];
  const overrides: Partial<Config> = { ...options.config };
  let databaseSchema = options.databaseSchema;
  if (TEST_BACKEND === 'postgres-s3' && overrides.databaseUrl === undefined && overrides.blobStore === undefined) {
    const schema = await createTestSchema();
    const s3 = await startS3rver();
    cleanups.push(schema.drop, s3.stop);
    // The S3 store reads the SDK's variables, as in production; this worker serves one file at a time.
    Object.assign(process.env, s3.env);
    Object.assign(overrides, { databaseUrl: POSTGRES_URL, blobStore: `s3://${s3.bucket}/blobs` });
    databaseSchema = schema.schema;
  }
  const config = configWith({ host: '127.0.0.1', port: 0, dataDir, gcIntervalSeconds: 0, shutdownTimeoutSeconds: 5, ...overrides });
  let clockOffsetMs = 0;
  const now = () => new Date(Date.now() + clockOffsetMs);
  const server = await startRunningServer(config, { logger: false, databaseSchema, now });
  const tokenFor = (tenant: string, scopes: Scope[] = ['upload', 'read']) => issueApiToken(server.backends.metadata, tenant, scopes);
  const token = await tokenFor('test');
  return {
    url: server.url,
    token,
    dataDir,
    server,
    tokenFor,
    advanceClock(ms) {
      clockOffsetMs += ms;
    },
    async storedBlobs() {
      const shas: string[] = inlineBlobs(dataDir).map((blob) => blob.sha256);
      for await (const blob of server.backends.blobs.list()) shas.push(blob.key.split('/').pop() ?? '');
      return shas;
    },
    inlineBlobs: () => (server.backends.metadata.dialect === 'sqlite' ? inlineBlobs(dataDir).map((blob) => blob.sha256) : []),
    async storedBytes(sha256) {
      const inline =
        server.backends.metadata.dialect === 'sqlite' ? inlineBlobs(dataDir).find((blob) => blob.sha256 === sha256) : undefined;
      if (inline) return inline.bytes;
      if ((await server.backends.blobs.stat(blobKey(sha256))) === null) return null;
      const chunks: Buffer[] = [];
      for await (const chunk of await server.backends.blobs.read(blobKey(sha256))) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async stop() {
      await server.close();
      for (const cleanup of cleanups.reverse()) await cleanup();
      if (ownsDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
