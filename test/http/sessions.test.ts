// Upload sessions end to end: create (and its validation), status, complete, abort, and manifests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestIdOf } from '../../src/domain/manifest.js';
import { Api, errorOf, makeBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer({ config: { maxManifestFiles: 50, maxBlobSize: 1000 } });
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

const HEX = 'a'.repeat(64);

describe('POST /v1/upload-sessions', () => {
  it('answers 201 with the token, counts and the distinct missing blobs in manifest order', async () => {
    const a = makeBlob('a.txt', 'A');
    const b = makeBlob('b.txt', 'B');
    const sentAt = Date.now();
    const response = await api.request('POST', '/v1/upload-sessions', {
      body: {
        files: [
          { path: 'z/b.txt', sha256: b.sha256.toUpperCase(), size: 1 },
          { path: 'a.txt', sha256: a.sha256, size: 1 },
          { path: 'copy-of-b.txt', sha256: b.sha256, size: 1 },
        ],
        expiresInSeconds: 120,
      },
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ state: 'open', fileCount: 3, blobCount: 2, totalBytes: 2, missing: [b.sha256, a.sha256] });
    expect(body.uploadSessionId).toMatch(/^us_/);
    expect(body.uploadToken).toMatch(/^pcu_[A-Za-z0-9_-]{43}$/);
    // 120 s from the moment the server took the request, which lies between sending it and the answer.
    const expiresAt = Date.parse(body.expiresAt as string);
    expect(expiresAt).toBeGreaterThanOrEqual(sentAt + 120_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
  });

  it('leaves out of missing what the tenant already holds', async () => {
    const held = makeBlob('held.txt', 'already here');
    await api.publish([held]);
    const fresh = makeBlob('fresh.txt', 'new');
    const session = await api.createSession([held, fresh]);
    expect(session.missing).toEqual([fresh.sha256]);
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['no files', { files: [] }, /files/],
    ['files not an array', { files: 'x' }, /files/],
    ['a leading slash', { files: [{ path: '/etc/passwd', sha256: HEX, size: 1 }] }, /files\[0\]\.path/],
    ['a backslash', { files: [{ path: 'a\\b', sha256: HEX, size: 1 }] }, /backslash/],
    ['a .. segment', { files: [{ path: 'a/../b', sha256: HEX, size: 1 }] }, /"\.\."/],
    ['a . segment', { files: [{ path: './b', sha256: HEX, size: 1 }] }, /"\."/],
    ['an empty segment', { files: [{ path: 'a//b', sha256: HEX, size: 1 }] }, /empty segment/],
    ['a trailing slash', { files: [{ path: 'a/', sha256: HEX, size: 1 }] }, /empty segment/],
    ['a control character', { files: [{ path: 'a\u0001b', sha256: HEX, size: 1 }] }, /control/],
    ['an empty path', { files: [{ path: '', sha256: HEX, size: 1 }] }, /path/],
    ['a path over 1024 bytes', { files: [{ path: 'é'.repeat(513), sha256: HEX, size: 1 }] }, /1024 bytes/],
    [
      'a duplicate path',
      {
        files: [
          { path: 'a', sha256: HEX, size: 1 },
          { path: 'a', sha256: HEX, size: 1 },
        ],
      },
      /files\[1\].*more than once/,
    ],
    ['a short sha256', { files: [{ path: 'a', sha256: 'abc', size: 1 }] }, /sha256/],
    ['a negative size', { files: [{ path: 'a', sha256: HEX, size: -1 }] }, /size/],
    ['a fractional size', { files: [{ path: 'a', sha256: HEX, size: 1.5 }] }, /size/],
    ['a size as a string', { files: [{ path: 'a', sha256: HEX, size: '1' }] }, /size/],
    [
      'a size over the maximum blob size',
      { files: [{ path: 'a', sha256: HEX, size: 1001 }] },
      /files\[0\]\.size must be an integer from 0 to 1000/,
    ],
    [
      'one sha256 with two sizes',
      {
        files: [
          { path: 'a', sha256: HEX, size: 1 },
          { path: 'b', sha256: HEX, size: 2 },
        ],
      },
      /files\[1\]\.size.*differs/,
    ],
    ['a malformed mime', { files: [{ path: 'a', sha256: HEX, size: 1, mime: 'not a type' }] }, /mime/],
    ['expiresInSeconds of 0', { files: [{ path: 'a', sha256: HEX, size: 1 }], expiresInSeconds: 0 }, /expiresInSeconds/],
    ['expiresInSeconds over a week', { files: [{ path: 'a', sha256: HEX, size: 1 }], expiresInSeconds: 604801 }, /expiresInSeconds/],
    [
      'more files than the limit',
      { files: Array.from({ length: 51 }, (_, i) => ({ path: `f${i}`, sha256: HEX, size: 1 })) },
      /limit is 50/,
    ],
  ];
  it.each(invalid)('answers 400 invalid_request for %s, naming the bad entry', async (_name, body, message) => {
    const response = await api.request('POST', '/v1/upload-sessions', { body });
    const error = await errorOf(response);
    expect(error.status).toBe(400);
    expect(error.error).toBe('invalid_request');
    expect(error.message).toMatch(message);
  });

  it('accepts unusual but valid paths (spaces, unicode, dots inside names)', async () => {
    const blob = makeBlob('x', 'unicode');
    const session = await api.createSession([
      { ...blob, path: 'dir with spaces/ünïcødé 文件.txt' },
      { ...blob, path: '.well-known/..hidden...' },
    ]);
    expect(session.fileCount).toBe(2);
  });
});

describe('GET /v1/upload-sessions/{uploadSessionId}', () => {
  it('reports state and what is still missing as blobs arrive', async () => {
    const a = makeBlob('a', 'first');
    const b = makeBlob('b', 'second');
    const session = await api.createSession([a, b]);
    await api.putBlob(session, a.sha256, a.bytes);
    const response = await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      uploadSessionId: session.uploadSessionId,
      state: 'open',
      expiresAt: session.expiresAt,
      fileCount: 2,
      blobCount: 2,
      totalBytes: a.size + b.size,
      missing: [b.sha256],
    });
  });

  it('answers 404 session_not_found for an unknown id', async () => {
    const error = await errorOf(await api.request('GET', '/v1/upload-sessions/us_unknown'));
    expect([error.status, error.error]).toEqual([404, 'session_not_found']);
  });

  it('reports an open session past its expiry as expired', async () => {
    const session = await api.createSession([makeBlob('e', 'expiring')], { expiresInSeconds: 1 });
    server.advanceClock(1100);
    const status = (await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { state: string };
    expect(status.state).toBe('expired');
    const complete = await errorOf(await api.complete(session));
    expect([complete.status, complete.error]).toEqual([410, 'session_expired']);
  });
});

describe('POST /v1/upload-sessions/{uploadSessionId}/complete', () => {
  it('answers 409 blobs_missing with the list, then completes into a content-addressed manifest', async () => {
    const a = makeBlob('docs/a.md', '# A');
    const b = makeBlob('index.html', '<p>b</p>');
    const session = await api.createSession([a, { ...b, mime: 'text/html; charset=utf-8' }]);
    const early = await errorOf(await api.complete(session));
    expect([early.status, early.error]).toEqual([409, 'blobs_missing']);
    expect(early.body.missing).toEqual([a.sha256, b.sha256]);

    await api.putBlob(session, a.sha256, a.bytes);
    await api.putBlob(session, b.sha256, b.bytes);
    const response = await api.complete(session);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      uploadSessionId: string;
      state: string;
      manifest: { manifestId: string; fileCount: number; totalBytes: number; createdAt: string };
    };
    const expectedId = manifestIdOf([
      { path: 'docs/a.md', sha256: a.sha256, size: a.size },
      { path: 'index.html', sha256: b.sha256, size: b.size, mime: 'text/html; charset=utf-8' },
    ]);
    expect(body).toMatchObject({
      uploadSessionId: session.uploadSessionId,
      state: 'completed',
      manifest: { manifestId: expectedId, fileCount: 2, totalBytes: a.size + b.size },
    });

    const again = await api.complete(session);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(body);

    const status = (await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ state: 'completed', manifestId: expectedId, missing: [] });

    const manifest = await api.request('GET', `/v1/manifests/${expectedId}`);
    expect(manifest.status).toBe(200);
    expect(await manifest.json()).toEqual({
      manifestId: expectedId,
      createdAt: body.manifest.createdAt,
      fileCount: 2,
      totalBytes: a.size + b.size,
      previewUrl: `http://${expectedId.slice(0, 32)}.localhost:${new URL(server.url).port}/`,
      files: [
        { path: 'docs/a.md', sha256: a.sha256, size: a.size },
        { path: 'index.html', sha256: b.sha256, size: b.size, mime: 'text/html; charset=utf-8' },
      ],
    });
  });

  it('gives the same manifest id to the same files, whatever their order, and sums sizes per file', async () => {
    const a = makeBlob('a', 'same');
    const first = await api.publish([a, { ...a, path: 'b' }]);
    const second = await api.publish([{ ...a, path: 'b' }, a]);
    expect(second).toBe(first);
    const manifest = (await (await api.request('GET', `/v1/manifests/${first}`)).json()) as { totalBytes: number };
    expect(manifest.totalBytes).toBe(2 * a.size);
  });

  it('refuses an aborted session with 409 session_not_open and a wrong upload token with 403', async () => {
    const blob = makeBlob('c', 'abort me');
    const session = await api.createSession([blob]);
    const wrong = await errorOf(await api.complete({ ...session, uploadToken: 'pcu_wrong' }));
    expect([wrong.status, wrong.error]).toEqual([403, 'invalid_upload_token']);
    expect((await api.abort(session)).status).toBe(204);
    expect((await api.abort(session)).status).toBe(204);
    const error = await errorOf(await api.complete(session));
    expect([error.status, error.error]).toEqual([409, 'session_not_open']);
    const status = (await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { state: string };
    expect(status.state).toBe('aborted');
  });

  it('needs X-Upload-Token on complete and abort (401 unauthenticated without it)', async () => {
    const session = await api.createSession([makeBlob('d', 'token needed')]);
    for (const response of [
      await api.request('POST', `/v1/upload-sessions/${session.uploadSessionId}/complete`),
      await api.request('DELETE', `/v1/upload-sessions/${session.uploadSessionId}`),
    ]) {
      const error = await errorOf(response);
      expect([error.status, error.error]).toEqual([401, 'unauthenticated']);
    }
  });

  it('refuses to abort a completed session with 409', async () => {
    const blob = makeBlob('f', 'done');
    const session = await api.createSession([blob]);
    await api.putBlob(session, blob.sha256, blob.bytes);
    await api.complete(session);
    const error = await errorOf(await api.abort(session));
    expect([error.status, error.error]).toEqual([409, 'session_not_open']);
  });
});

describe('GET /v1/manifests/{manifestId}', () => {
  it('answers 404 manifest_not_found for an unknown id and 403 without the read scope', async () => {
    const missing = await errorOf(await api.request('GET', `/v1/manifests/${HEX}`));
    expect([missing.status, missing.error]).toEqual([404, 'manifest_not_found']);
    const uploadOnly = new Api(server.url, await server.tokenFor('test', ['upload']));
    const forbidden = await errorOf(await uploadOnly.request('GET', `/v1/manifests/${HEX}`));
    expect([forbidden.status, forbidden.error]).toEqual([403, 'forbidden']);
  });
});
