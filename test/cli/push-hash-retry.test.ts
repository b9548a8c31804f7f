// Hashing with a bound on open files, and the retry policy's classification and backoff.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PressCloudApiError, PressCloudNetworkError } from '../../src/client/errors.js';
import { hashFiles } from '../../src/cli/push/hash.js';
import { backoffDelayMs, isRetryable, withRetry } from '../../src/client/upload/retry.js';
import { ProgressDisplay } from '../../src/cli/transfer-common/progress.js';

describe('hashFiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'presscloud-hash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hashes every file, in input order, and counts every byte', async () => {
    const contents = Array.from({ length: 40 }, (_, i) => Buffer.alloc(i * 1000 + 1, i));
    const files = await Promise.all(
      contents.map(async (content, i) => {
        const absolutePath = path.join(dir, `f${i}`);
        await writeFile(absolutePath, content);
        return { path: `f${i}`, absolutePath, size: content.length, stamp: await stat(absolutePath) };
      }),
    );
    let bytes = 0;
    let done = 0;
    const hashed = await hashFiles(files, { concurrency: 4, onBytes: (n) => (bytes += n), onFileDone: () => done++ });
    expect(hashed.map((file) => file.sha256)).toEqual(contents.map((c) => createHash('sha256').update(c).digest('hex')));
    expect(bytes).toBe(contents.reduce((sum, c) => sum + c.length, 0));
    expect(done).toBe(40);
  });
});

describe('retry policy', () => {
  const apiError = (status: number, retryAfterMs?: number) => new PressCloudApiError({ status, code: 'x', message: 'x', retryAfterMs });

  it('retries network errors, 5xx, 408 and 429 only', () => {
    expect(isRetryable(new PressCloudNetworkError('reset'))).toBe(true);
    for (const status of [500, 502, 503, 507, 408, 429]) expect(isRetryable(apiError(status))).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 410]) expect(isRetryable(apiError(status))).toBe(false);
    expect(isRetryable(new Error('bug'))).toBe(false);
  });

  it('draws full jitter under an exponential cap, and waits at least Retry-After', () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(1, { ...policy, random: () => 1 })).toBe(100);
    expect(backoffDelayMs(3, { ...policy, random: () => 1 })).toBe(400);
    expect(backoffDelayMs(10, { ...policy, random: () => 1 })).toBe(1000);
    expect(backoffDelayMs(3, { ...policy, random: () => 0 })).toBe(0);
    expect(backoffDelayMs(1, { ...policy, random: () => 0 }, 2000)).toBe(2000);
  });

  it('gives up after the last attempt with the last error, and stops at once on a 4xx', async () => {
    const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 };
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw apiError(503);
      }, policy),
    ).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw apiError(400);
      }, policy),
    ).rejects.toMatchObject({ status: 400 });
    expect(calls).toBe(1);
    await expect(withRetry(async (attempt) => (attempt < 2 ? Promise.reject(apiError(429)) : 'ok'), policy)).resolves.toBe('ok');
  });
});

describe('ProgressDisplay', () => {
  it('writes plain lines when not on a terminal', () => {
    const lines: string[] = [];
    const display = new ProgressDisplay({ write: (text: string) => lines.push(text), isTTY: false });
    display.start('uploading', 'blob', 2, 2048);
    display.addBytes(2048);
    display.addItem();
    display.addItem();
    display.end();
    expect(lines[0]).toBe('uploading 2 blobs (2.0 KiB)\n');
    expect(lines[1]).toMatch(/^uploaded 2 blobs, 2\.0 KiB in /);
    expect(lines.join('')).not.toContain('\r');
  });

  it('redraws one line in place on a terminal, with files, bytes, rate and ETA', async () => {
    let output = '';
    const display = new ProgressDisplay({ write: (text: string) => (output += text), isTTY: true });
    display.start('hashing', 'file', 10, 10_000);
    display.addItem();
    display.addBytes(1000);
    await new Promise((resolve) => setTimeout(resolve, 250));
    display.note('warning: something');
    display.end();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the live line is drawn with terminal escapes
    expect(output).toMatch(/\r\x1b\[2Khashing 1\/10 files {2}1000 B\/9\.8 KiB {2}[\d.]+ \S+\/s {2}ETA \d+s/);
    expect(output).toContain('warning: something\n');
    expect(output.endsWith('\n')).toBe(true);
  });
});
