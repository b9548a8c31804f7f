// `presscloud push` in batches: small files travel as multipart batches, large ones as PUTs, through the real
// CLI and server; the fault-injecting proxy cuts batches mid-body, fails, stalls and loses them, and a retry
// sends only the parts the server does not hold yet.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BATCH_MAX_BYTES, BATCH_MAX_PARTS, SMALL_BLOB_MAX_BYTES } from '../../src/cli/push/constants.js';
import { sha256Of as sha256Hex } from '../support/api.js';
import { requestKind, startFaultProxy } from './fault-proxy.js';
import type { Fault, FaultProxy, ProxyLogEntry } from './fault-proxy.js';
import { usePushFixture } from './push-fixture.js';
import { runCli } from './run-cli.js';

const env = usePushFixture('presscloud-push-batch-');

interface PushJson {
  manifestId: string;
  fileCount: number;
  blobCount: number;
  uploadedBlobs: number;
  sessionsOpened: number;
  retries: number;
}

/** `count` distinct files of `size` bytes each (new to the server), in a few folders named after `prefix`. */
async function makeTree(
  name: string,
  count: number,
  size: number,
  prefix = 'part',
): Promise<{ root: string; contents: Map<string, Buffer> }> {
  const root = path.join(env.workDir, name);
  const contents = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) contents.set(`${prefix}-${i % 5}/file-${i}.bin`, randomBytes(size));
  for (const [relative, content] of contents) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
  }
  return { root, contents };
}

interface PushRun {
  exitCode: number | null;
  summary: PushJson;
  stderr: string;
}

async function push(root: string, url: string, extra: string[] = []): Promise<PushRun> {
  const run = await runCli(['push', root, '--url', url, '--token', env.server.token, '--json', '--no-cache', ...extra]);
  expect(run.stderr).not.toMatch(/presscloud:/);
  // Node's own warnings (a listener leak, say) are for us, not for the user's terminal.
  expect(run.stderr).not.toMatch(/\(node:\d+\) \w*Warning/);
  return { exitCode: run.exitCode, summary: JSON.parse(run.stdout) as PushJson, stderr: run.stderr };
}

async function expectManifestHolds(manifestId: string, contents: Map<string, Buffer>): Promise<void> {
  const manifest = await env.client.getManifest(manifestId);
  const expected = [...contents].map(([file, content]) => [file, sha256Hex(content), content.length]);
  const actual = manifest.files.map((file) => [file.path, file.sha256, file.size]);
  expect(new Set(actual.map((entry) => JSON.stringify(entry)))).toEqual(new Set(expected.map((entry) => JSON.stringify(entry))));
  // The manifest completed, so the server holds every blob; spot-check the bytes of one of them.
  const [someFile, someContent] = [...contents][contents.size - 1];
  const download = await env.client.getBlob(sha256Hex(someContent));
  const chunks: Buffer[] = [];
  for await (const chunk of download.body) chunks.push(chunk as Buffer);
  expect(sha256Hex(Buffer.concat(chunks)), someFile).toBe(sha256Hex(someContent));
}

async function withProxy<T>(plan: (kind: string, index: number) => Fault, work: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(env.server.url, ({ method, path: url, index }) => plan(requestKind(method, url), index));
  try {
    return await work(proxy);
  } finally {
    await proxy.close();
  }
}

/** Resolves once the session lists fewer than `total` blobs missing: some parts of a cut batch were committed. */
async function partsCommitted(uploadSessionId: string, total: number): Promise<void> {
  while ((await env.client.getUploadSession(uploadSessionId)).missing.length >= total) await sleep(20);
}

const ofKind = (log: readonly ProxyLogEntry[], kind: string) => log.filter((entry) => requestKind(entry.method, entry.path) === kind);

describe('push in batches', () => {
  it('sends small files in batches of at most the part limit and large files one PUT each', async () => {
    const small = await makeTree('mixed', BATCH_MAX_PARTS + 50, 3000);
    const large = await makeTree('mixed', 2, SMALL_BLOB_MAX_BYTES + 1, 'large');
    const contents = new Map([...small.contents, ...large.contents]);
    const { summary, log } = await withProxy(
      () => ({ kind: 'pass' }),
      async (proxy) => ({ ...(await push(small.root, proxy.url)), log: proxy.log }),
    );
    expect(summary).toMatchObject({ fileCount: contents.size, uploadedBlobs: contents.size, sessionsOpened: 1, retries: 0 });
    expect(ofKind(log, 'POST batch').map((entry) => entry.upstreamStatus)).toEqual([200, 200]);
    expect(ofKind(log, 'PUT blob')).toHaveLength(2);
    await expectManifestHolds(summary.manifestId, contents);
  });

  it('reads a dozen files at once under one signal without Node warning of a listener leak', async () => {
    const { root, contents } = await makeTree('parallel', 12, SMALL_BLOB_MAX_BYTES + 1);
    const { summary } = await push(root, env.server.url, ['--concurrency', '16']);
    expect(summary).toMatchObject({ fileCount: 12, uploadedBlobs: 12 });
    await expectManifestHolds(summary.manifestId, contents);
  });

  it('closes a batch at its byte limit', async () => {
    const perFile = 200 * 1024;
    const { root, contents } = await makeTree('bytes', Math.ceil((2 * BATCH_MAX_BYTES) / perFile) + 1, perFile);
    const { summary, log } = await withProxy(
      () => ({ kind: 'pass' }),
      async (proxy) => ({ ...(await push(root, proxy.url)), log: proxy.log }),
    );
    const batches = ofKind(log, 'POST batch');
    expect(batches).toHaveLength(3);
    for (const batch of batches) expect(batch.contentLength).toBeLessThan(BATCH_MAX_BYTES + 64 * 1024);
    await expectManifestHolds(summary.manifestId, contents);
  });

  it('retries a batch cut mid-body, failed, stalled and lost, re-sending only the parts not stored', async () => {
    const { root, contents } = await makeTree('faults', 120, 2000);
    const faults: Fault[] = [
      { kind: 'cut-request', bytes: 100_000 },
      { kind: 'status', status: 503, error: 'storage_unavailable' },
      { kind: 'stall' },
      { kind: 'lose-response' },
    ];
    // The env.server commits the parts read before the cut once it sees the cut; the client's question about what is
    // still missing waits until the session shows some of them, so that the first retry surely sends fewer.
    let committedBeforeCut: Promise<unknown> | undefined;
    const plan = (method: string, url: string, index: number): Fault => {
      const kind = requestKind(method, url);
      if (kind === 'POST batch') {
        if (index === 0) committedBeforeCut = partsCommitted(url.split('/')[3], contents.size);
        return faults[index] ?? { kind: 'pass' };
      }
      const statusQuestion = method === 'GET' && /^\/v1\/upload-sessions\/us_[^/]+$/.test(url);
      return statusQuestion && committedBeforeCut ? { kind: 'hold', until: committedBeforeCut } : { kind: 'pass' };
    };
    const proxy = await startFaultProxy(env.server.url, ({ method, path: url, index }) => plan(method, url, index));
    let run: PushRun;
    try {
      run = await push(root, proxy.url, ['--concurrency', '1', '--stall-timeout', '1']);
    } finally {
      await proxy.close();
    }
    expect(run.exitCode).toBe(0);
    expect(run.summary).toMatchObject({ uploadedBlobs: 120, retries: 4, sessionsOpened: 1 });
    expect(run.stderr).toMatch(/retrying upload of a batch of \d+ blobs .*: no progress for 1 s/);
    const batches = ofKind(proxy.log, 'POST batch');
    // The lost answer's batch was stored whole: the session then lists nothing missing, and nothing is sent again.
    expect(batches.map((entry) => entry.fault)).toEqual(['cut-request', 'status', 'stall', 'lose-response']);
    const [cut, afterCut, afterStatus, afterStall] = batches.map((entry) => entry.contentLength ?? 0);
    // The parts stored before the cut are not sent again. Each later try sends what the session still lists as
    // missing: never more than the try before (the server may finish committing the cut batch's parts meanwhile).
    expect(afterCut).toBeLessThan(cut);
    expect(afterStatus).toBeLessThanOrEqual(afterCut);
    expect(afterStall).toBeLessThanOrEqual(afterStatus);
    expect(afterStall).toBeGreaterThan(0);
    await expectManifestHolds(run.summary.manifestId, contents);
  });

  it('sends again only the parts answered 5xx, and stops at a part no retry can fix', async () => {
    const { root, contents } = await makeTree('part-failures', 40, 2000);
    // The env.server stored every part; the env.client is told two of them failed with 503 and must send those two again.
    const failParts = (indexes: number[], error: { status: number; error: string }) => (body: string) => {
      const answer = JSON.parse(body) as { results: Array<Record<string, unknown>> };
      for (const index of indexes) answer.results[index] = { sha256: answer.results[index].sha256, ...error, message: 'Injected.' };
      return JSON.stringify(answer);
    };
    const storageFault = { status: 503, error: 'storage_unavailable' };
    const firstBatchFails = (kind: string, index: number): Fault =>
      kind === 'POST batch' && index === 0 ? { kind: 'rewrite-response', rewrite: failParts([3, 7], storageFault) } : { kind: 'pass' };
    const { summary, log } = await withProxy(firstBatchFails, async (proxy) => ({
      ...(await push(root, proxy.url, ['--concurrency', '1'])),
      log: proxy.log,
    }));
    expect(summary).toMatchObject({ uploadedBlobs: 40, retries: 1 });
    const [first, second] = ofKind(log, 'POST batch').map((entry) => entry.contentLength ?? 0);
    expect(ofKind(log, 'POST batch')).toHaveLength(2);
    // Two parts of 2,000 bytes and their framing.
    expect(second).toBeGreaterThan(2 * 2000);
    expect(second).toBeLessThan(2 * 2000 + 1000);
    expect(first).toBeGreaterThan(40 * 2000);
    await expectManifestHolds(summary.manifestId, contents);

    const other = await makeTree('part-digest', 5, 2000);
    const digestFault = { status: 400, error: 'digest_mismatch' };
    const failed = await withProxy(
      (kind) => (kind === 'POST batch' ? { kind: 'rewrite-response', rewrite: failParts([2], digestFault) } : { kind: 'pass' }),
      (proxy) => runCli(['push', other.root, '--url', proxy.url, '--token', env.server.token, '--no-cache']),
    );
    expect(failed.exitCode).toBe(1);
    const thirdPath = [...other.contents.keys()].sort()[2];
    expect(failed.stderr.trimEnd().split('\n').at(-1)).toBe(`presscloud: ${thirdPath} changed while it was being pushed; push again`);
  });

  it('opens a new session when one expires between batches, and finishes', async () => {
    const { root, contents } = await makeTree('expiry', 60, 100 * 1024);
    const { exitCode, summary, stderr, log } = await withProxy(
      (kind, index) => {
        // The session's hour runs out, on the server's clock, just before the second batch reaches it.
        if (kind === 'POST batch' && index === 1) env.server.advanceClock(2 * 3600_000);
        return { kind: 'pass' };
      },
      async (proxy) => ({ ...(await push(root, proxy.url, ['--concurrency', '1', '--session-ttl', '3600'])), log: proxy.log }),
    );
    expect(exitCode).toBe(0);
    expect(summary.sessionsOpened).toBeGreaterThanOrEqual(2);
    expect(summary.uploadedBlobs).toBe(60);
    expect(stderr).toMatch(/session expired; opened a new one/);
    expect(ofKind(log, 'POST batch').some((entry) => entry.upstreamStatus === 410)).toBe(true);
    await expectManifestHolds(summary.manifestId, contents);
  });

  it('falls back to one PUT per blob when the server refuses batches (413)', async () => {
    const { root, contents } = await makeTree('refused', 30, 1000);
    const { exitCode, summary, stderr, log } = await withProxy(
      (kind) => (kind === 'POST batch' ? { kind: 'status', status: 413, error: 'payload_too_large' } : { kind: 'pass' }),
      async (proxy) => ({ ...(await push(root, proxy.url)), log: proxy.log }),
    );
    expect(exitCode).toBe(0);
    expect(summary.uploadedBlobs).toBe(30);
    expect(stderr).toMatch(/the server does not take batches \(413 payload_too_large\); one PUT per blob from now on/);
    expect(ofKind(log, 'POST batch')).toHaveLength(1);
    expect(ofKind(log, 'PUT blob')).toHaveLength(30);
    await expectManifestHolds(summary.manifestId, contents);
  });
});
