// Starts a real PressCloud server in-process on 127.0.0.1:0 over a fresh temp data directory.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configWith, type Config } from '../../src/config.js';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import type { Scope } from '../../src/domain/types.js';
import { startServer as startRunningServer, type RunningServer } from '../../src/server.js';

export interface TestServer {
  readonly url: string;
  /** A token of tenant "test" with both scopes. */
  readonly token: string;
  readonly dataDir: string;
  readonly server: RunningServer;
  /** Another token, for another tenant or with other scopes. */
  tokenFor(tenant: string, scopes?: Scope[]): Promise<string>;
  stop(): Promise<void>;
}

export async function makeTempDir(prefix = 'presscloud-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function startServer(options: { dataDir?: string; config?: Partial<Config>; databaseSchema?: string } = {}): Promise<TestServer> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await makeTempDir());
  const config = configWith({ host: '127.0.0.1', port: 0, dataDir, gcIntervalSeconds: 0, shutdownTimeoutSeconds: 5, ...options.config });
  const server = await startRunningServer(config, { logger: false, databaseSchema: options.databaseSchema });
  const tokenFor = (tenant: string, scopes: Scope[] = ['upload', 'read']) => issueApiToken(server.backends.metadata, tenant, scopes);
  const token = await tokenFor('test');
  return {
    url: server.url,
    token,
    dataDir,
    server,
    tokenFor,
    async stop() {
      await server.close();
      if (ownsDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
