// The SDK's uploadBlobs (a streamed multipart batch) and listManifests against the real server on a real socket.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PressCloudApiError, PressCloudClient, type BlobPart } from '../../src/index.js';
import { makeTempDir, startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let client: PressCloudClient;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  client = new PressCloudClient({ baseUrl: server.url, token: server.token, connections: 2 });
  dir = await makeTempDir();
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
  await fs.promises.rm(dir, { recursive: true, force: true });
});

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

async function download(hex: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await client.getBlob(hex)).body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('PressCloudClient.uploadBlobs', () => {
  it('streams buffers, files and streams as one batch and answers one result per part', async () => {
    const page = Buffer.from(`<h1>${randomBytes(8).toString('hex')}</h1>`);
    const large = randomBytes(3 * 1024 * 1024);
    const file = path.join(dir, 'large.bin');
    await fs.promises.writeFile(file, large);
    const streamed = randomBytes(70_000);
    const wrong = randomBytes(100);
    const created = await client.createUploadSession({
      files: [
        { path: 'index.html', sha256: sha256(page), size: page.length },
        { path: 'large.bin', sha256: sha256(large), size: large.length },
        { path: 'streamed.bin', sha256: sha256(streamed), size: streamed.length },
        { path: 'wrong.bin', sha256: sha256(wrong), size: wrong.length },
      ],
    });
    const opened: string[] = [];
    const parts: BlobPart[] = [
      { sha256: sha256(page), size: page.length, body: page },
      {
        sha256: sha256(large),
        size: large.length,
        body: () => {
          opened.push('large');
          return fs.createReadStream(file, { highWaterMark: 256 * 1024 });
        },
      },
      { sha256: sha256(streamed), size: streamed.length, body: Readable.from([streamed.subarray(0, 1000), streamed.subarray(1000)]) },
      { sha256: sha256(wrong), size: wrong.length, body: Buffer.alloc(wrong.length, 1) },
    ];
    let progressed = 0;
    const answer = await client.uploadBlobs(created.uploadSessionId, created.uploadToken, parts, {
      onProgress: (bytes) => (progressed += bytes),
    });

    expect(answer.uploadSessionId).toBe(created.uploadSessionId);
    expect(answer.results.map((r) => ('error' in r ? [r.sha256, r.status, r.error] : [r.sha256, r.status, r.alreadyPresent]))).toEqual([
      [sha256(page), 200, false],
      [sha256(large), 200, false],
      [sha256(streamed), 200, false],
      [sha256(wrong), 400, 'digest_mismatch'],
    ]);
    expect(opened).toEqual(['large']);
    expect(progressed).toBe(page.length + large.length + streamed.length + wrong.length);
    expect((await download(sha256(large))).equals(large)).toBe(true);
    expect((await client.getUploadSession(created.uploadSessionId)).missing).toEqual([sha256(wrong)]);
  });

  it('answers an empty batch with no results, and throws the whole-request errors', async () => {
    const blob = randomBytes(10);
    const created = await client.createUploadSession({ files: [{ path: 'a', sha256: sha256(blob), size: blob.length }] });
    expect(await client.uploadBlobs(created.uploadSessionId, created.uploadToken, [])).toEqual({
      uploadSessionId: created.uploadSessionId,
      results: [],
    });
    const refused = client.uploadBlobs(created.uploadSessionId, 'pcu_wrong', [{ sha256: sha256(blob), size: blob.length, body: blob }]);
    await expect(refused).rejects.toBeInstanceOf(PressCloudApiError);
    await expect(refused).rejects.toMatchObject({ status: 403, code: 'invalid_upload_token' });
  });

  it('fails the request, storing nothing of that part, when a body has not the announced size', async () => {
    const blob = randomBytes(5000);
    const created = await client.createUploadSession({ files: [{ path: 'a', sha256: sha256(blob), size: blob.length }] });
    const short = client.uploadBlobs(created.uploadSessionId, created.uploadToken, [
      { sha256: sha256(blob), size: blob.length, body: () => Readable.from([blob.subarray(1)]) },
    ]);
    await expect(short).rejects.toThrow(/did not have the 5000 bytes/);
    await expect(
      client.uploadBlobs(created.uploadSessionId, created.uploadToken, [{ sha256: 'nope', size: 1, body: blob }]),
    ).rejects.toBeInstanceOf(TypeError);
    expect((await client.getUploadSession(created.uploadSessionId)).missing).toEqual([sha256(blob)]);
  });
});

describe('PressCloudClient.listManifests', () => {
  it('pages through the tenant’s manifests newest first with the cursor', async () => {
    const other = new PressCloudClient({ baseUrl: server.url, token: await server.tokenFor('sdk-lister') });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const bytes = Buffer.from(`manifest ${i} ${randomBytes(4).toString('hex')}`);
        const created = await other.createUploadSession({ files: [{ path: `f${i}.txt`, sha256: sha256(bytes), size: bytes.length }] });
        await other.uploadBlobs(created.uploadSessionId, created.uploadToken, [{ sha256: sha256(bytes), size: bytes.length, body: bytes }]);
        ids.push((await other.completeUploadSession(created.uploadSessionId, created.uploadToken)).manifest.manifestId);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await other.listManifests({ limit: 2, cursor });
        seen.push(...page.manifests.map((m) => m.manifestId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      expect((await other.listManifests()).manifests).toHaveLength(5);
      await expect(other.listManifests({ limit: 0 })).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    } finally {
      await other.close();
    }
  });
});
