// The upload core (src/client/upload/) over fetch, against the real server through the fault-injecting proxy:
// planning, progress totals, retries for a window of time, Retry-After, stalls, session renewal, asking what is
// missing after a broken batch, the 413 and 404 fallbacks, and cancellation.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestFileInput } from '../../src/api/types.js';
import { PressCloudApiError, PressCloudClient, PressCloudNetworkError } from '../../src/index.js';
import {
  BlobUploadFailedError,
  SMALL_BLOB_MAX_BYTES,
  UploadInterruptedError,
  bytesSource,
  defaultRetryPolicy,
  fetchUploadApi,
  uploadManifest,
} from '../../src/client/upload/index.js';
import type { ResumableUploader, RetryNotice, UploadBlob, UploadEvents, UploadOptions } from '../../src/client/upload/index.js';
import { type Fault, type FaultProxy, type ProxiedRequest, startFaultProxy } from '../cli/fault-proxy.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let client: PressCloudClient;

beforeAll(async () => {
  server = await startServer();
  client = new PressCloudClient({ baseUrl: server.url, token: server.token });
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

interface Tree {
  files: ManifestFileInput[];
  blobs: Map<string, UploadBlob>;
  totalBytes: number;
}

/** Fresh random files of these sizes, so nothing is held by the tenant already. */
function treeOf(sizes: readonly number[]): Tree {
  const files: ManifestFileInput[] = [];
  const blobs = new Map<string, UploadBlob>();
  sizes.forEach((size, index) => {
    const bytes = randomBytes(size);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    files.push({ path: `f/${String(index).padStart(4, '0')}.bin`, sha256, size });
    blobs.set(sha256, { sha256, size, source: bytesSource(bytes) });
  });
  return { files, blobs, totalBytes: sizes.reduce((sum, size) => sum + size, 0) };
}

/** What the core reported, gathered from its events. */
function recorder() {
  const seen = {
    bytes: 0,
    uploaded: new Set<string>(),
    retries: [] as Array<{ what: string; notice: RetryNotice }>,
    renewals: 0,
    refusals: 0,
  };
  const events: UploadEvents = {
    onBytes: (delta) => (seen.bytes += delta),
    onUploaded: (blob) => seen.uploaded.add(blob.sha256),
    onRetry: (what, notice) => seen.retries.push({ what, notice }),
    onSessionOpened: ({ renewal }) => (seen.renewals += renewal ? 1 : 0),
    onBatchesRefused: () => (seen.refusals += 1),
  };
  return { seen, events };
}

async function throughProxy<T>(plan: (request: ProxiedRequest) => Fault, run: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(server.url, plan);
  try {
    return await run(proxy);
  } finally {
    await proxy.close();
  }
}

function upload(tree: Tree, url: string, options: Partial<UploadOptions> = {}) {
  return uploadManifest(tree.files, tree.blobs, {
    api: fetchUploadApi({ baseUrl: url, token: server.token }),
    retryPolicy: defaultRetryPolicy({ baseDelayMs: 10, maxDelayMs: 50 }),
    ...options,
  });
}

async function expectStored(tree: Tree, manifestId: string): Promise<void> {
  const manifest = await client.getManifest(manifestId);
  expect(manifest.files.map((file) => file.sha256)).toEqual(tree.files.map((file) => file.sha256));
  for (const sha of tree.blobs.keys()) expect(await client.headBlob(sha)).toMatchObject({ size: tree.blobs.get(sha)?.size });
}

const kinds = (proxy: FaultProxy) => proxy.log.map((entry) => `${entry.method} ${entry.path.replace(/[0-9a-f]{64}$/, 'SHA')}`);

describe('uploadManifest', () => {
  it('sends small blobs in batches and large ones one PUT each, and its progress adds up to the bytes sent', async () => {
    const tree = treeOf([100, 2000, 30_000, SMALL_BLOB_MAX_BYTES + 1, 1 << 20]);
    const { seen, events } = recorder();
    await throughProxy(
      () => ({ kind: 'pass' }),
      async (proxy) => {
        const result = await upload(tree, proxy.url, { events });
        await expectStored(tree, result.manifestId);
        expect(result).toMatchObject({ sessionsOpened: 1, retries: 0 });
        expect(proxy.log.filter((entry) => entry.path.endsWith('/blobs') && entry.method === 'POST')).toHaveLength(1);
        expect(proxy.log.filter((entry) => entry.method === 'PUT')).toHaveLength(2);
      },
    );
    expect(seen.bytes).toBe(tree.totalBytes);
    expect(seen.uploaded.size).toBe(tree.blobs.size);
  });

  it('hands the blobs above the resumable threshold to the uploader plugged in, the others to PUTs and batches', async () => {
    const tree = treeOf([100, 200, SMALL_BLOB_MAX_BYTES + 1, 2 << 20]);
    const large = tree.files[3].sha256;
    const { seen, events } = recorder();
    const handed: string[] = [];
    await throughProxy(
      () => ({ kind: 'pass' }),
      async (proxy) => {
        const api = fetchUploadApi({ baseUrl: proxy.url, token: server.token });
        // A stand-in for the tus client: it stores the blob with one PUT of its own, reporting its bytes.
        const resumable: ResumableUploader = {
          aboveBytes: 1 << 20,
          async upload(session, blob, context) {
            handed.push(blob.sha256);
            await api.putBlob(session, blob, { signal: context.signal, onProgress: (bytes) => context.onBytes(bytes) });
          },
        };
        const result = await upload(tree, proxy.url, { events, resumable });
        await expectStored(tree, result.manifestId);
        expect(proxy.log.filter((entry) => entry.method === 'PUT')).toHaveLength(2);
        expect(proxy.log.filter((entry) => entry.method === 'POST' && entry.path.endsWith('/blobs'))).toHaveLength(1);
      },
    );
    expect(handed).toEqual([large]);
    expect(seen.uploaded.size).toBe(4);
    expect(seen.bytes).toBe(tree.totalBytes);
  });

  it('waits what Retry-After asks, and retries a stalled request', async () => {
    const tree = treeOf([SMALL_BLOB_MAX_BYTES + 10]);
    const { seen, events } = recorder();
    const plan = ({ method, index }: ProxiedRequest): Fault => {
      if (method !== 'PUT') return { kind: 'pass' };
      if (index === 0) return { kind: 'status', status: 429, error: 'rate_limited', retryAfter: '1' };
      return index === 1 ? { kind: 'stall' } : { kind: 'pass' };
    };
    await throughProxy(plan, async (proxy) => {
      // Long enough that a request merely slowed by a loaded machine is not taken for the stalled one.
      const result = await upload(tree, proxy.url, { events, stallTimeoutMs: 1500 });
      await expectStored(tree, result.manifestId);
    });
    expect(seen.retries.map(({ notice }) => notice.error)).toEqual([
      expect.objectContaining({ status: 429, retryAfterMs: 1000 }),
      expect.objectContaining({ message: 'no progress for 1.5 s' }),
    ]);
    expect(seen.retries[0].notice.delayMs).toBeGreaterThanOrEqual(1000);
    // The stalled attempt's bytes were taken back: progress counts each byte once.
    expect(seen.bytes).toBe(tree.totalBytes);
  });

  it('retries for the window of time after the first failure, then gives up with the last error', async () => {
    const tree = treeOf([SMALL_BLOB_MAX_BYTES + 10]);
    // A clock that moves 1 s at each failure: the 2.5 s window runs out after a few tries, whatever the machine's speed.
    let clock = 0;
    const retryPolicy = defaultRetryPolicy({ windowMs: 2500, baseDelayMs: 1, maxDelayMs: 1, random: () => 0, now: () => (clock += 1000) });
    await throughProxy(
      ({ method }) => (method === 'PUT' ? { kind: 'drop' } : { kind: 'pass' }),
      async (proxy) => {
        const failure = await upload(tree, proxy.url, { retryPolicy }).catch((err: unknown) => err);
        expect(failure).toBeInstanceOf(BlobUploadFailedError);
        expect((failure as BlobUploadFailedError).cause).toBeInstanceOf(PressCloudNetworkError);
        // Failures at 1 s (the window opens), 2 s and 3 s are retried; the one at 4 s is past the window.
        expect(proxy.log.filter((entry) => entry.method === 'PUT')).toHaveLength(4);
      },
    );
  });

  it('opens a new session when the one in use expires, and sends only what the new one lacks', async () => {
    const tree = treeOf([SMALL_BLOB_MAX_BYTES + 1, SMALL_BLOB_MAX_BYTES + 2]);
    const { seen, events } = recorder();
    const plan = ({ method, index }: ProxiedRequest): Fault =>
      method === 'PUT' && index === 1 ? { kind: 'status', status: 410, error: 'session_expired' } : { kind: 'pass' };
    await throughProxy(plan, async (proxy) => {
      const result = await upload(tree, proxy.url, { events, concurrency: 1 });
      await expectStored(tree, result.manifestId);
      expect(result.sessionsOpened).toBe(2);
      expect(kinds(proxy).filter((kind) => kind.startsWith('PUT'))).toHaveLength(3);
    });
    expect(seen.renewals).toBe(1);
  });

  it('after a batch whose answer was lost, asks the session what is missing and sends nothing again', async () => {
    const tree = treeOf(Array.from({ length: 40 }, () => 20_000));
    const { seen, events } = recorder();
    const isBatch = (method: string, path: string) => method === 'POST' && path.endsWith('/blobs');
    // The server stores the whole batch; its answer never reaches the client.
    const plan = ({ method, path, index }: ProxiedRequest): Fault =>
      isBatch(method, path) && index === 0 ? { kind: 'lose-response' } : { kind: 'pass' };
    await throughProxy(plan, async (proxy) => {
      const result = await upload(tree, proxy.url, { events });
      await expectStored(tree, result.manifestId);
      expect(kinds(proxy)).toEqual([
        'POST /v1/upload-sessions',
        `POST ${proxy.log[1].path}`,
        `GET ${proxy.log[2].path}`,
        `POST ${proxy.log[3].path}`,
      ]);
      expect(proxy.log[2].path).toBe(`/v1/upload-sessions/${result.uploadSessionId}`);
      expect(proxy.log[3].path).toBe(`/v1/upload-sessions/${result.uploadSessionId}/complete`);
    });
    expect(seen.bytes).toBe(tree.totalBytes);
    expect(seen.uploaded.size).toBe(40);
  });

  for (const refusal of [
    { status: 413, error: 'payload_too_large' },
    { status: 404, error: 'not_found' },
  ]) {
    it(`falls back to one PUT per blob when a batch is answered ${refusal.status}`, async () => {
      const tree = treeOf([100, 200, 300]);
      const { seen, events } = recorder();
      const plan = ({ method, path }: ProxiedRequest): Fault =>
        method === 'POST' && path.endsWith('/blobs') ? { kind: 'status', ...refusal } : { kind: 'pass' };
      await throughProxy(plan, async (proxy) => {
        const result = await upload(tree, proxy.url, { events });
        await expectStored(tree, result.manifestId);
        expect(proxy.log.filter((entry) => entry.method === 'PUT')).toHaveLength(3);
      });
      expect(seen.refusals).toBe(1);
      expect(seen.bytes).toBe(tree.totalBytes);
    });
  }

  it('stops on cancellation, aborts the session it opened, and rejects saying so', async () => {
    const tree = treeOf([SMALL_BLOB_MAX_BYTES + 1]);
    const controller = new AbortController();
    let sessionId = '';
    let releasePut: () => void = () => {};
    const held = new Promise<void>((resolve) => (releasePut = resolve));
    const plan = ({ method }: ProxiedRequest): Fault => {
      if (method !== 'PUT') return { kind: 'pass' };
      // The PUT is under way when the cancel comes.
      controller.abort(new Error('cancelled by the user'));
      return { kind: 'hold', until: held };
    };
    await throughProxy(plan, async (proxy) => {
      const failure = await upload(tree, proxy.url, {
        signal: controller.signal,
        events: { onSessionOpened: ({ uploadSessionId }) => (sessionId = uploadSessionId) },
      }).catch((err: unknown) => err);
      releasePut();
      expect(failure).toBeInstanceOf(UploadInterruptedError);
      expect(failure).toMatchObject({ session: 'aborted', reason: new Error('cancelled by the user') });
      expect(await client.getUploadSession(sessionId)).toMatchObject({ state: 'aborted' });
    });
  });

  it('on cancellation leaves the session open when the resumable uploader holds bytes in it', async () => {
    const tree = treeOf([100, 2 << 20]);
    const controller = new AbortController();
    let sessionId = '';
    // A stand-in for the tus client, cancelled once it has "bytes on the server" in this session.
    const asked: string[] = [];
    const resumable: ResumableUploader = {
      aboveBytes: 1 << 20,
      async upload(_session, _blob, context) {
        controller.abort(new Error('cancelled by the user'));
        context.signal.throwIfAborted();
      },
      keepsSession(session) {
        asked.push(session.uploadSessionId);
        return true;
      },
    };
    const failure = await upload(tree, server.url, {
      signal: controller.signal,
      resumable,
      batches: false,
      concurrency: 1,
      events: { onSessionOpened: ({ uploadSessionId }) => (sessionId = uploadSessionId) },
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(UploadInterruptedError);
    expect(failure).toMatchObject({ session: 'kept', reason: new Error('cancelled by the user') });
    expect(asked).toEqual([sessionId]);
    expect(await client.getUploadSession(sessionId)).toMatchObject({ state: 'open' });
  });

  it('stops at once on an answer no retry can change', async () => {
    const tree = treeOf([SMALL_BLOB_MAX_BYTES + 1]);
    const plan = ({ method }: ProxiedRequest): Fault =>
      method === 'PUT' ? { kind: 'status', status: 400, error: 'digest_mismatch' } : { kind: 'pass' };
    await throughProxy(plan, async (proxy) => {
      const failure = await upload(tree, proxy.url).catch((err: unknown) => err);
      expect((failure as BlobUploadFailedError).cause).toBeInstanceOf(PressCloudApiError);
      expect(proxy.log.filter((entry) => entry.method === 'PUT')).toHaveLength(1);
    });
  });
});
