// Conventions that need the app on the embedded default with its parts at hand: /readyz writes a probe into
// tmp/ (a 503 then carries Retry-After), and an early error stops waiting for a stalled body after its bound.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../src/config.js';
import { Authenticator } from '../../src/domain/authentication.js';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { buildApp } from '../../src/http/app.js';
import { Metrics } from '../../src/http/metrics.js';
import { createService, openBackends, type Backends } from '../../src/runtime.js';
import { errorOf } from '../support/api.js';
import { makeTempDir } from '../support/server.js';
import { RawConnection } from './raw-connection.js';

let dataDir: string;
let backends: Backends;
let url: string;
let token: string;
let close: () => Promise<void>;

beforeAll(async () => {
  dataDir = await makeTempDir('presscloud-embedded-app-');
  const config = configWith({ host: '127.0.0.1', port: 0, dataDir, gcIntervalSeconds: 0 });
  backends = await openBackends(config);
  const metrics = new Metrics();
  const service = createService(config, backends, metrics);
  const app = await buildApp({
    config,
    service,
    authenticator: new Authenticator(backends.metadata),
    ...backends,
    metrics,
    lifecycle: { draining: false },
    logger: false,
    drain: { maxBytes: 1024 * 1024, maxMs: 300 },
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  token = await issueApiToken(backends.metadata, 'embedded', ['upload', 'read']);
  close = async () => {
    await app.close();
    await backends.blobs.close();
    await backends.metadata.close();
  };
});
afterAll(async () => {
  await close?.();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('/readyz', () => {
  it('fails with 503 and Retry-After while tmp/ cannot take a file, even where an access check would pass', async () => {
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // A file where the directory should be: access(W_OK) passes on it (and root passes any access check),
    // but no upload could be staged there.
    const tmp = path.join(dataDir, 'tmp');
    await fs.rm(tmp, { recursive: true });
    await fs.writeFile(tmp, '');
    try {
      const response = await fetch(`${url}/readyz`);
      expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      const error = await errorOf(response);
      expect([error.status, error.error]).toEqual([503, 'not_ready']);
    } finally {
      await fs.rm(tmp);
      await fs.mkdir(tmp);
    }
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await fs.readdir(path.join(dataDir, 'tmp'))).toEqual([]);
  });
});

describe('an error answered before the body was read', () => {
  it('answers a client that stops sending once the time bound has passed, and closes the connection', async () => {
    const connection = await RawConnection.open(url);
    try {
      await connection.write(
        `PUT /v1/upload-sessions/us_x/blobs/${'b'.repeat(64)} HTTP/1.1\r\nHost: x\r\n` +
          `Authorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\n`,
      );
      await connection.write(Buffer.alloc(10));
      const refused = await connection.readAnswer();
      expect([refused.status, refused.headers.connection, JSON.parse(refused.body).error]).toEqual([401, 'close', 'unauthenticated']);
      expect(await connection.closedByServer()).toBe(true);
    } finally {
      connection.close();
    }
  });
});
