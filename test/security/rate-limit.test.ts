// Per-token rate limiting: a token bucket per API token, counted after authentication.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiToken } from '../../src/domain/api-tokens.js';
import { AppError } from '../../src/domain/errors.js';
import { createRateLimiter } from '../../src/http/rate-limit.js';
import { openMetadataStore } from '../../src/runtime.js';
import { startServeProcess } from '../support/serve-process.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';

describe('createRateLimiter', () => {
  it('allows a burst of the per-minute limit, then one request each 60/limit seconds, per key', () => {
    let now = 0;
    const limiter = createRateLimiter(6, () => now);
    for (let i = 0; i < 6; i++) limiter.take('a');
    let refused: unknown;
    try {
      limiter.take('a');
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 10 });
    limiter.take('b');

    now += 9_000;
    expect(() => limiter.take('a')).toThrow(AppError);
    now += 1_000;
    limiter.take('a');
    expect(() => limiter.take('a')).toThrow(AppError);
    // A minute idle refills the whole burst, never more.
    now += 600_000;
    for (let i = 0; i < 6; i++) limiter.take('a');
    expect(() => limiter.take('a')).toThrow(AppError);
  });

  it('is off at 0', () => {
    const limiter = createRateLimiter(0);
    for (let i = 0; i < 10_000; i++) limiter.take('a');
  });
});

describe('rateLimitPerMinute on a server', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ config: { rateLimitPerMinute: 5 } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const status = (token: string | undefined) =>
    fetch(`${server.url}/v1/upload-sessions/us_nothing`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers 429 rate_limited with Retry-After once a token spends its budget, and counts each token apart', async () => {
    for (let i = 0; i < 5; i++) expect((await status(server.token)).status).toBe(404);
    const limited = await status(server.token);
    expect(limited.status).toBe(429);
    // One request comes back every 12 s; a slow machine may already be part of the way there.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(12);
    expect(await limited.json()).toEqual({ error: 'rate_limited', message: expect.stringContaining('5 requests a minute') });

    const sameTenantOtherToken = await server.tokenFor('test');
    expect((await status(sameTenantOtherToken)).status).toBe(404);
    // Unauthenticated and unknown-token requests are refused before they are counted against anyone.
    expect((await status(undefined)).status).toBe(401);
    expect((await status('pct_unknown')).status).toBe(401);
    // Routes without authentication are not limited.
    for (let i = 0; i < 10; i++) expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('presscloud serve --rate-limit', () => {
  it('turns the limit on from the command line', async () => {
    const dataDir = await makeTempDir('presscloud-rate-limit-');
    const metadata = await openMetadataStore({ dataDir, databaseUrl: undefined });
    const token = await issueApiToken(metadata, 'limited', ['upload', 'read']).finally(() => metadata.close());
    const server = await startServeProcess(dataDir, ['--rate-limit', '2']);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (await fetch(`${server.url}/v1/manifests/${'c'.repeat(64)}`, { headers: { authorization: `Bearer ${token}` } })).status,
        );
      expect(statuses).toEqual([404, 404, 429]);
    } finally {
      await server.kill();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
