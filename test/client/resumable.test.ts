// The SDK's tus client (client/upload/resumable.ts) against a real server: chunked PATCHes with checksums and
// progress, a cut connection continued from the server's offset, an abort, and a resume from a stored URL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StoredResumableUpload, uploadResumable } from '../../src/client/upload/resumable.js';
import { bytesSource } from '../../src/client/upload/source.js';
import { type Fault, startFaultProxy } from '../cli/fault-proxy.js';
import { Api, makeBlob, sha256Of } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';

const MiB = 1024 * 1024;
let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

async function stored(sha256: string): Promise<string> {
  return sha256Of(Buffer.from(await (await api.request('GET', `/v1/blobs/${sha256}`)).arrayBuffer()));
}

async function sessionFor(bytes: Buffer) {
  const blob = makeBlob('big.bin', bytes);
  const session = await api.createSession([blob]);
  const input = {
    baseUrl: server.url,
    apiToken: server.token,
    uploadSessionId: session.uploadSessionId,
    uploadToken: session.uploadToken,
    sha256: blob.sha256,
    source: bytesSource(bytes),
  };
  return { blob, session, input };
}

describe('uploadResumable', () => {
  it('sends checksummed chunks, reports each offset, and continues from the server offset after a cut', async () => {
    const { blob, input } = await sessionFor(randomBytes(5 * MiB + 7));
    const proxy = await startFaultProxy(
      server.url,
      (request): Fault => (request.method === 'PATCH' && request.index === 1 ? { kind: 'cut-request', bytes: 300_000 } : { kind: 'pass' }),
    );
    const offsets: number[] = [];
    try {
      const result = await uploadResumable(
        { ...input, baseUrl: proxy.url },
        { chunkSize: MiB, retryDelayMs: 1, onProgress: (offset) => offsets.push(offset) },
      );
      expect(result.resumedFrom).toBe(0);
      expect(result.bytesSent).toBeGreaterThan(blob.size);
    } finally {
      await proxy.close();
    }
    expect(offsets).toEqual([0, MiB, 2 * MiB, 3 * MiB, 4 * MiB, 5 * MiB, 5 * MiB + 7]);
    expect(proxy.log.filter((entry) => entry.method === 'HEAD')).toHaveLength(1);
    expect(await stored(blob.sha256)).toBe(blob.sha256);
  });

  it('stops on abort, and a later call resumes from the stored upload, sending only what is left', async () => {
    const { blob, input } = await sessionFor(randomBytes(4 * MiB));
    const abort = new AbortController();
    let kept: StoredResumableUpload | undefined;
    const first = uploadResumable(input, {
      chunkSize: MiB,
      signal: abort.signal,
      onCreated: (upload) => {
        kept = upload;
      },
      onProgress: (offset) => {
        if (offset >= 2 * MiB) abort.abort(new Error('stopped by the test'));
      },
    });
    await expect(first).rejects.toThrow('stopped by the test');
    expect(kept?.url).toMatch(/\/uploads\/tus_/);
    const resumed = await uploadResumable(input, { chunkSize: MiB, resumeFrom: kept });
    expect(resumed.resumedFrom).toBe(2 * MiB);
    expect(resumed.bytesSent).toBe(2 * MiB);
    expect(resumed.url).toBe(kept?.url);
    expect(await stored(blob.sha256)).toBe(blob.sha256);
  });

  it('makes a new upload when the stored one is gone', async () => {
    const { blob, input } = await sessionFor(randomBytes(MiB + 1));
    let kept: StoredResumableUpload | undefined;
    const abort = new AbortController();
    await expect(
      uploadResumable(input, {
        chunkSize: MiB,
        signal: abort.signal,
        onCreated: (upload) => {
          kept = upload;
          abort.abort(new Error('stop'));
        },
      }),
    ).rejects.toThrow('stop');
    const url = new URL(kept?.url ?? '');
    const headers = { 'tus-resumable': '1.0.0', 'x-upload-token': input.uploadToken };
    expect((await api.request('DELETE', url.pathname, { headers })).status).toBe(204);
    const result = await uploadResumable(input, { resumeFrom: kept });
    expect(result.url).not.toBe(kept?.url);
    expect(result.bytesSent).toBe(blob.size);
    expect(await stored(blob.sha256)).toBe(blob.sha256);
  });
});
