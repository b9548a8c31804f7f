// The typed SDK against the real server on a real socket: every endpoint, and the errors it raises.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PressCloudApiError, PressCloudClient, PressCloudNetworkError } from '../../src/index.js';
import { startServer } from '../support/server.js';

type Server = Awaited<ReturnType<typeof startServer>>;

let server: Server;
let client: PressCloudClient;

beforeAll(async () => {
  server = await startServer({});
  client = new PressCloudClient({ baseUrl: server.url, token: server.token, connections: 4 });
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('PressCloudClient', () => {
  it('uploads a session from buffers and stream factories, completes it, and reads it back', async () => {
    const page = Buffer.from(`<h1>${randomBytes(8).toString('hex')}</h1>`);
    const image = randomBytes(200_000);
    const created = await client.createUploadSession({
      files: [
        { path: 'index.html', sha256: sha256(page), size: page.length, mime: 'text/html' },
        { path: 'img/photo.bin', sha256: sha256(image), size: image.length },
      ],
      expiresInSeconds: 600,
    });
    expect(created).toMatchObject({ state: 'open', fileCount: 2, blobCount: 2, totalBytes: page.length + image.length });
    expect(created.missing).toEqual([sha256(page), sha256(image)]);

    const first = await client.putBlob(created.uploadSessionId, created.uploadToken, sha256(page), page, { size: page.length });
    expect(first).toMatchObject({ uploadSessionId: created.uploadSessionId, alreadyPresent: false });
    expect(first.blob).toMatchObject({ sha256: sha256(page), size: page.length });
    let progressed = 0;
    let opened = 0;
    const second = await client.putBlob(
      created.uploadSessionId,
      created.uploadToken,
      sha256(image),
      () => {
        opened++;
        return Readable.from([image.subarray(0, 50_000), image.subarray(50_000)]);
      },
      { size: image.length, onProgress: (bytes) => (progressed += bytes) },
    );
    expect(second.blob.r2Key).toContain(sha256(image));
    expect(opened).toBe(1);
    expect(progressed).toBe(image.length);
    const retried = await client.putBlob(created.uploadSessionId, created.uploadToken, sha256(page), page, { size: page.length });
    expect(retried.alreadyPresent).toBe(true);

    const status = await client.getUploadSession(created.uploadSessionId);
    expect(status).toMatchObject({ state: 'open', missing: [] });
    const completed = await client.completeUploadSession(created.uploadSessionId, created.uploadToken);
    expect(completed).toMatchObject({ state: 'completed', manifest: { fileCount: 2, totalBytes: page.length + image.length } });
    const manifest = await client.getManifest(completed.manifest.manifestId);
    expect(manifest.files.map((file) => file.path).sort()).toEqual(['img/photo.bin', 'index.html']);

    const whole = await client.getBlob(sha256(image));
    expect(whole.status).toBe(200);
    expect(whole.size).toBe(image.length);
    expect((await readAll(whole.body)).equals(image)).toBe(true);
    const part = await client.getBlob(sha256(image), { range: { start: 10, end: 19 } });
    expect(part.status).toBe(206);
    expect(part.contentRange).toBe(`bytes 10-19/${image.length}`);
    expect((await readAll(part.body)).equals(image.subarray(10, 20))).toBe(true);
    const head = await client.headBlob(sha256(page));
    expect(head).toMatchObject({ size: page.length });
    expect(head?.contentType).toMatch(/^text\/html/);
    expect(await client.headBlob(sha256(randomBytes(16)))).toBeNull();
  });

  it('raises a typed error carrying status, code and message', async () => {
    const stranger = new PressCloudClient({ baseUrl: server.url, token: 'pc_unknown' });
    try {
      const failure = await stranger.getManifest('a'.repeat(64)).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(PressCloudApiError);
      expect(failure).toMatchObject({ status: 401, code: 'invalid_token' });
      expect((failure as PressCloudApiError).message.length).toBeGreaterThan(0);
    } finally {
      await stranger.close();
    }

    const content = randomBytes(64);
    const session = await client.createUploadSession({ files: [{ path: 'a.bin', sha256: sha256(content), size: 64 }] });
    const incomplete = await client.completeUploadSession(session.uploadSessionId, session.uploadToken).catch((err: unknown) => err);
    expect(incomplete).toMatchObject({ status: 409, code: 'blobs_missing', missing: [sha256(content)] });

    const notInSession = await client
      .putBlob(session.uploadSessionId, session.uploadToken, sha256(randomBytes(8)), Buffer.alloc(8), { size: 8 })
      .catch((err: unknown) => err);
    expect(notInSession).toMatchObject({ status: 404, code: 'blob_not_in_session' });

    await client.abortUploadSession(session.uploadSessionId, session.uploadToken);
    const closed = await client
      .putBlob(session.uploadSessionId, session.uploadToken, sha256(content), content, { size: 64 })
      .catch((err: unknown) => err);
    expect(closed).toMatchObject({ status: 409, code: 'session_not_open' });
  });

  it('answers the health probes', async () => {
    expect(await client.healthz()).toHaveProperty('status');
    expect(await client.readyz()).toHaveProperty('status');
  });

  it('raises a PressCloudNetworkError when nothing answers', async () => {
    const nowhere = new PressCloudClient({ baseUrl: 'http://127.0.0.1:1', token: 'pc_x' });
    try {
      await expect(nowhere.healthz()).rejects.toBeInstanceOf(PressCloudNetworkError);
    } finally {
      await nowhere.close();
    }
  });
});
