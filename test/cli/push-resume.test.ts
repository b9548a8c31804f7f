// A push that fails part-way ends saying what is already stored and that pushing again resumes; the next push
// sends only the rest. Retries are timed (`--retry-window`), not counted.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SMALL_BLOB_MAX_BYTES } from '../../src/cli/push/constants.js';
import { sha256Of } from '../support/api.js';
import { startFaultProxy } from './fault-proxy.js';
import { usePushFixture } from './push-fixture.js';
import { runCli } from './run-cli.js';

const env = usePushFixture('presscloud-push-resume-');

async function makeTree(name: string, sizes: readonly number[]): Promise<{ root: string; files: Buffer[] }> {
  const root = path.join(env.workDir, name);
  await mkdir(root, { recursive: true });
  const files = sizes.map((size) => randomBytes(size));
  for (const [index, bytes] of files.entries()) await writeFile(path.join(root, `file-${index}.bin`), bytes);
  return { root, files };
}

describe('presscloud push, failing and resuming', () => {
  it('ends a failed push with what is stored and that pushing again resumes; the next push sends only the rest', async () => {
    const { root, files } = await makeTree('partial', [SMALL_BLOB_MAX_BYTES + 1, SMALL_BLOB_MAX_BYTES + 2, SMALL_BLOB_MAX_BYTES + 3]);
    const refused = sha256Of(files[2]);
    // The server refuses one blob for good (as a proxy might refuse a body): the others get through.
    const proxy = await startFaultProxy(env.server.url, ({ method, path: url }) =>
      method === 'PUT' && url.endsWith(refused) ? { kind: 'status', status: 400, error: 'invalid_request' } : { kind: 'pass' },
    );
    let failed: Awaited<ReturnType<typeof runCli>>;
    try {
      failed = await runCli(['push', root, '--url', proxy.url, '--token', env.server.token, '--concurrency', '1']);
    } finally {
      await proxy.close();
    }
    expect(failed.exitCode).toBe(1);
    const lines = failed.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^presscloud: uploading file-2\.bin: the server answered 400 invalid_request/);
    expect(lines.at(-2)).toMatch(/^2 of 3 blobs are on the server, 2 sent by this push \(512\.0 KiB\); push again to send only the rest$/);
    // The progress line's summary says the push failed rather than reading like success.
    expect(failed.stderr).toMatch(/^uploaded 2 blobs \(then the push failed\), /m);

    const again = await runCli(['push', root, '--url', env.server.url, '--token', env.server.token, '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ uploadedBlobs: 1, skippedBlobs: 2 });
  });

  it('says how long it retried when the window runs out, and takes --retry-window in seconds', async () => {
    const { root } = await makeTree('unreachable', [10]);
    const proxy = await startFaultProxy(env.server.url, ({ method }) =>
      method === 'POST' ? { kind: 'status', status: 503, error: 'storage_unavailable', retryAfter: '0' } : { kind: 'pass' },
    );
    let run: Awaited<ReturnType<typeof runCli>>;
    try {
      run = await runCli(['push', root, '--url', proxy.url, '--token', env.server.token, '--retry-window', '0.5']);
    } finally {
      await proxy.close();
    }
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/retrying session creation in \d+\.\d s \(attempt 2\): /);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^presscloud: the server answered 503 storage_unavailable: .*\(gave up after retrying for 0\.5 s\)$/,
    );
  });
});
