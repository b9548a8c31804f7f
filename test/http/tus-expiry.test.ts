// Abandoned tus uploads: garbage collection drops an upload once its session has expired (its partial
// bytes with it: the data directory's file, or the S3 multipart upload), and HEAD then answers 404.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/domain/garbage-collector.js';
import { hashToken } from '../../src/domain/tokens.js';
import { Api, makeBlob } from '../support/api.js';
import { startServer, TEST_BACKEND, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

const TUS = { 'tus-resumable': '1.0.0' };

async function partialFiles(): Promise<string[]> {
  return fs.readdir(path.join(server.dataDir, 'uploads')).catch(() => []);
}

describe('garbage collection of tus uploads', () => {
  it('drops an upload whose session expired, with its partial bytes, and leaves live ones', async () => {
    const blob = makeBlob('abandoned.bin', randomBytes(50_000));
    const session = await api.createSession([blob]);
    const headers = { ...TUS, 'x-upload-token': session.uploadToken };
    const creation = {
      headers: {
        ...headers,
        'upload-length': String(blob.size),
        'upload-metadata': `sha256 ${Buffer.from(blob.sha256).toString('base64')}`,
      },
    };
    const uploads = `/v1/upload-sessions/${session.uploadSessionId}/uploads`;
    const location = (await api.request('POST', uploads, creation)).headers.get('location') ?? '';
    const patched = await api.request('PATCH', location, {
      raw: blob.bytes.subarray(0, 20_000),
      headers: { ...headers, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
    });
    expect(patched.status).toBe(204);
    const filesBefore = await partialFiles();
    if (TEST_BACKEND === 'sqlite-fs') expect(filesBefore).toEqual([location.split('/').pop()]);

    const gc = (now: Date) =>
      collectGarbage({
        ...server.server.backends,
        graceSeconds: 3600,
        sessionRetentionSeconds: 86_400,
        now,
        resumable: server.server.resumable,
      });
    expect((await gc(new Date())).expiredUploads).toBe(0);
    expect((await api.request('HEAD', location, { headers })).headers.get('upload-offset')).toBe('20000');

    const result = await gc(new Date(Date.parse(session.expiresAt) + 1000));
    expect(result.expiredUploads).toBe(1);
    expect(await partialFiles()).toEqual([]);
    const { metadata } = server.server.backends;
    const tenantId = (await metadata.findApiTokenByHash(hashToken(server.token)))?.tenantId ?? '';
    expect(await metadata.getResumableUpload(tenantId, location.split('/').pop() ?? '')).toBeNull();
  });
});
