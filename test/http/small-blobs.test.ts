// Small blobs on the embedded default live in SQLite with their rows (no file); on PostgreSQL + S3 every blob
// is an object. Either way a blob reads the same through GET, HEAD, Range and ETag, and /metrics says where
// blobs live.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { Api, makeBlob, sha256Of } from '../support/api.js';
import { serverTmpFiles } from '../support/fs-store.js';
import { startServer, TEST_BACKEND, type TestServer } from '../support/server.js';

const KEEPS_BYTES = TEST_BACKEND === 'sqlite-fs';
const LIMIT = DEFAULT_CONFIG.smallBlobMaxBytes;

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

/** The sha256s the blob store (files or S3) holds, without the ones SQLite keeps. */
async function objectsInStore(): Promise<string[]> {
  const shas: string[] = [];
  for await (const listed of server.server.backends.blobs.list()) shas.push(listed.key.split('/').pop() ?? '');
  return shas;
}

describe(`small blobs (${KEEPS_BYTES ? 'kept in SQLite' : 'objects in the blob store'})`, () => {
  it(`keeps a blob of up to ${LIMIT} bytes ${KEEPS_BYTES ? 'in the database, without a file' : 'as an object'}, and a larger one as an object`, async () => {
    const [tiny, atLimit, over] = [
      makeBlob('a.css', 'body{margin:0}\n'),
      makeBlob('b.bin', randomBytes(LIMIT)),
      makeBlob('c.bin', randomBytes(LIMIT + 1)),
    ];
    const published = await api.publish([tiny, atLimit, over]);
    expect(published).toMatch(/^[0-9a-f]{64}$/);
    const inline = server.inlineBlobs();
    const objects = await objectsInStore();
    for (const blob of [tiny, atLimit]) {
      expect(inline.includes(blob.sha256)).toBe(KEEPS_BYTES);
      expect(objects.includes(blob.sha256)).toBe(!KEEPS_BYTES);
    }
    expect(inline).not.toContain(over.sha256);
    expect(objects).toContain(over.sha256);
    for (const blob of [tiny, atLimit, over]) expect(sha256Of((await server.storedBytes(blob.sha256)) ?? '')).toBe(blob.sha256);
    // The large blob's staging copy is removed behind its answer, not before it.
    await vi.waitFor(async () => expect(await serverTmpFiles(server)).toEqual([]));
  });

  it('serves a small blob whole, by range, by HEAD and against its ETag', async () => {
    const blob = makeBlob('site/page.html', '<!doctype html><h1>small</h1>\n');
    await api.publish([blob]);
    const path = `/v1/blobs/${blob.sha256}`;

    const whole = await api.request('GET', path);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('text/html');
    expect(whole.headers.get('content-length')).toBe(String(blob.size));
    expect(whole.headers.get('etag')).toBe(`"${blob.sha256}"`);
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(blob.bytes);

    const range = await api.request('GET', path, { headers: { range: 'bytes=2-8' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 2-8/${blob.size}`);
    expect(Buffer.from(await range.arrayBuffer())).toEqual(blob.bytes.subarray(2, 9));
    const suffix = await api.request('GET', path, { headers: { range: 'bytes=-5' } });
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(blob.bytes.subarray(blob.size - 5));
    const beyond = await api.request('GET', path, { headers: { range: `bytes=${blob.size}-` } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${blob.size}`]);

    const head = await api.request('HEAD', path);
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, String(blob.size), '']);
    const cached = await api.request('GET', path, { headers: { 'if-none-match': `"${blob.sha256}"` } });
    expect([cached.status, await cached.text()]).toEqual([304, '']);
  });

  it('serves an empty blob', async () => {
    const empty = makeBlob('empty.txt', Buffer.alloc(0));
    await api.publish([empty]);
    const answer = await api.request('GET', `/v1/blobs/${empty.sha256}`);
    expect([answer.status, answer.headers.get('content-length'), (await answer.arrayBuffer()).byteLength]).toEqual([200, '0', 0]);
  });

  it('refuses a small body with the wrong bytes or length and keeps nothing of it', async () => {
    const blob = makeBlob('x.txt', 'the right bytes');
    const session = await api.createSession([blob]);
    const wrong = await api.putBlob(session, blob.sha256, 'the wrong bytes');
    expect([wrong.status, ((await wrong.json()) as { error: string }).error]).toEqual([400, 'digest_mismatch']);
    const long = await api.putBlob(session, blob.sha256, 'the right bytes and more');
    expect([long.status, ((await long.json()) as { error: string }).error]).toEqual([400, 'size_mismatch']);
    expect(await server.storedBlobs()).not.toContain(blob.sha256);
    expect((await api.request('GET', `/v1/blobs/${blob.sha256}`)).status).toBe(404);
  });

  it('reports on /metrics how many blobs and bytes live in each place', async () => {
    const fresh = await startServer();
    try {
      const freshApi = new Api(fresh.url, fresh.token);
      const [small, large] = [makeBlob('s.bin', randomBytes(1000)), makeBlob('l.bin', randomBytes(LIMIT + 10))];
      await freshApi.publish([small, large]);
      const text = await (await fetch(`${fresh.url}/metrics`)).text();
      const value = (name: string, place: string) => Number(new RegExp(`^${name}\\{place="${place}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      const database = fresh.server.backends.metadata.dialect;
      const store = fresh.server.backends.blobs.kind;
      expect([database, store]).toEqual(KEEPS_BYTES ? ['sqlite', 'fs'] : ['postgres', 's3']);
      expect(value('presscloud_stored_blobs', database)).toBe(KEEPS_BYTES ? 1 : 0);
      expect(value('presscloud_stored_blob_bytes', database)).toBe(KEEPS_BYTES ? 1000 : 0);
      expect(value('presscloud_stored_blobs', store)).toBe(KEEPS_BYTES ? 1 : 2);
      expect(value('presscloud_stored_blob_bytes', store)).toBe(KEEPS_BYTES ? LIMIT + 10 : LIMIT + 1010);
    } finally {
      await fresh.stop();
    }
  });
});
