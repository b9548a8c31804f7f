// A tus upload survives a restart of the embedded default: the acknowledged bytes (fsync'd in the data
// directory) and the SHA-256 state saved with their offset carry over, and the upload finishes without the
// server reading the first bytes again.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { Api, makeBlob, sha256Of } from '../support/api.js';
import { makeTempDir, startServer } from '../support/server.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

describe('a tus upload across a restart', () => {
  it('resumes at the acknowledged offset and completes with the right bytes', async () => {
    const dataDir = await makeTempDir();
    dirs.push(dataDir);
    const blob = makeBlob('movie.bin', randomBytes(3 * 1024 * 1024 + 17));
    const half = 1024 * 1024 + 5;

    const first = await startServer({ dataDir });
    const before = new Api(first.url, first.token);
    const session = await before.createSession([blob]);
    const tus = { 'tus-resumable': '1.0.0', 'x-upload-token': session.uploadToken };
    const created = await before.request('POST', `/v1/upload-sessions/${session.uploadSessionId}/uploads`, {
      headers: { ...tus, 'upload-length': String(blob.size), 'upload-metadata': `sha256 ${Buffer.from(blob.sha256).toString('base64')}` },
    });
    const location = created.headers.get('location') ?? '';
    const octets = { ...tus, 'content-type': 'application/offset+octet-stream' };
    const patched = await before.request('PATCH', location, {
      raw: blob.bytes.subarray(0, half),
      headers: { ...octets, 'upload-offset': '0' },
    });
    expect(patched.status).toBe(204);
    await first.stop();

    const second = await startServer({ dataDir });
    try {
      const after = new Api(second.url, second.token);
      const offset = await after.request('HEAD', location, { headers: tus });
      expect(offset.headers.get('upload-offset')).toBe(String(half));
      const rest = await after.request('PATCH', location, {
        raw: blob.bytes.subarray(half),
        headers: { ...octets, 'upload-offset': String(half) },
      });
      expect(rest.status).toBe(204);
      const download = await after.request('GET', `/v1/blobs/${blob.sha256}`);
      expect(sha256Of(Buffer.from(await download.arrayBuffer()))).toBe(blob.sha256);
      expect((await after.complete(session)).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});
