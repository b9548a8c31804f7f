// The seed's PUT: every row of API.md's error table, in its order, and the guarantees of a 200.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Api, errorOf, makeBlob, sha256Of, type CreatedSession } from '../support/api.js';
import { serverTmpFiles } from '../support/fs-store.js';
import { startServer, TEST_BACKEND, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

async function storedBytes(sha256: string): Promise<Buffer> {
  const bytes = await server.storedBytes(sha256);
  if (!bytes) throw new Error(`${sha256} is stored nowhere`);
  return bytes;
}

function storedFiles(): Promise<string[]> {
  return server.storedBlobs();
}

/** Uploads in flight on the embedded default (the S3 store's staging is covered by its conformance suite). */
describe('PUT /v1/upload-sessions/{uploadSessionId}/blobs/{sha256}', () => {
  it('stores the blob, answers the seed body, and a retry is idempotent', async () => {
    const blob = makeBlob('site/index.html', '<h1>hello</h1>');
    const session = await api.createSession([blob]);
    const first = await api.putBlob(session, blob.sha256, blob.bytes);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      uploadSessionId: session.uploadSessionId,
      alreadyPresent: false,
      blob: {
        sha256: blob.sha256,
        size: blob.size,
        mime: 'text/html',
        r2Key: `sha256/${blob.sha256.slice(0, 2)}/${blob.sha256.slice(2, 4)}/${blob.sha256}`,
      },
    });
    expect(sha256Of(await storedBytes(blob.sha256))).toBe(blob.sha256);

    const retry = await api.putBlob(session, blob.sha256, blob.bytes);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { alreadyPresent: boolean }).alreadyPresent).toBe(true);
    expect((await storedFiles()).filter((name) => name === blob.sha256)).toHaveLength(1);
  });

  it('reads the database once before its commit: the token, the session and the blob in one query', async () => {
    const blob = makeBlob('one-read.txt', 'read once');
    const session = await api.createSession([blob]);
    const metadata = server.server.backends.metadata;
    const reads: string[] = [];
    const methods = ['findApiTokenByHash', 'putContext', 'putContextByToken', 'startBlobCommit'] as const;
    const originals = methods.map((name) => [name, metadata[name]] as const);
    for (const [name, original] of originals) {
      Object.assign(metadata, {
        [name]: (...args: unknown[]) => {
          reads.push(name);
          return (original as (...a: unknown[]) => unknown).apply(metadata, args);
        },
      });
    }
    try {
      expect((await api.putBlob(session, blob.sha256, blob.bytes)).status).toBe(200);
    } finally {
      for (const [name, original] of originals) Object.assign(metadata, { [name]: original });
    }
    // A small blob on SQLite needs no startBlobCommit either: its bytes go in with its rows.
    expect(reads).toEqual(TEST_BACKEND === 'sqlite-fs' ? ['putContextByToken'] : ['putContextByToken', 'startBlobCommit']);
  });

  it('accepts an absent Content-Type and an uppercase sha256 in the path', async () => {
    const blob = makeBlob('a.bin');
    const session = await api.createSession([blob]);
    const response = await api.request('PUT', `/v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.sha256.toUpperCase()}`, {
      raw: blob.bytes,
      headers: { 'x-upload-token': session.uploadToken },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { blob: { sha256: string } }).blob.sha256).toBe(blob.sha256);
  });

  it('reports alreadyPresent for a blob the tenant got in an earlier session, still verifying the bytes', async () => {
    const blob = makeBlob('x.txt', 'shared between sessions');
    await api.publish([blob]);
    const again = await api.createSession([{ ...blob, path: 'y.txt' }]);
    expect(again.missing).toEqual([]);
    const response = await api.putBlob(again, blob.sha256, blob.bytes);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { alreadyPresent: boolean }).alreadyPresent).toBe(true);
    const wrong = await errorOf(await api.putBlob(again, blob.sha256, Buffer.alloc(blob.size, 0x2e)));
    expect([wrong.status, wrong.error]).toEqual([400, 'digest_mismatch']);
  });

  it('reports mime from the manifest, else the extension, else sniffed bytes, else leaves it out', async () => {
    const png = makeBlob(
      'noext-png',
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rest of png')]),
    );
    const declared = makeBlob('data.bin', 'declared type');
    const byExtension = makeBlob('style.css', 'body{}');
    const unknown = makeBlob('README', 'plain words');
    const session = await api.createSession([png, { ...declared, mime: 'application/x-custom' }, byExtension, unknown]);
    const mimes: Array<string | undefined> = [];
    for (const blob of [png, declared, byExtension, unknown]) {
      const response = await api.putBlob(session, blob.sha256, blob.bytes);
      mimes.push(((await response.json()) as { blob: { mime?: string } }).blob.mime);
    }
    expect(mimes).toEqual(['image/png', 'application/x-custom', 'text/css', undefined]);
  });

  it('answers 200 to many concurrent PUTs of one blob and stores exactly one file', async () => {
    const blob = makeBlob('big.bin', Buffer.alloc(3 * 1024 * 1024, 7));
    const session = await api.createSession([blob]);
    const responses = await Promise.all(Array.from({ length: 12 }, () => api.putBlob(session, blob.sha256, blob.bytes)));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ alreadyPresent: boolean }>;
    expect(
      responses.map((r) => r.status),
      JSON.stringify(bodies),
    ).toEqual(Array(12).fill(200));
    expect(bodies.some((b) => !b.alreadyPresent)).toBe(true);
    expect((await storedFiles()).filter((name) => name === blob.sha256)).toHaveLength(1);
    expect(sha256Of(await storedBytes(blob.sha256))).toBe(blob.sha256);
    // Staging copies are removed behind the answers, not before them.
    await vi.waitFor(async () => expect(await serverTmpFiles(server)).toEqual([]));
  });

  it('streams a body sent in chunks without Content-Length', async () => {
    const blob = makeBlob('chunked.bin', Buffer.alloc(2 * 1024 * 1024, 3));
    const session = await api.createSession([blob]);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${server.url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${blob.sha256}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${server.token}`,
          'x-upload-token': session.uploadToken,
          'content-type': 'application/octet-stream',
          'transfer-encoding': 'chunked',
        },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      for (let i = 0; i < blob.size; i += 256 * 1024) request.write(blob.bytes.subarray(i, i + 256 * 1024));
      request.end();
    });
    expect(status).toBe(200);
    expect(sha256Of(await storedBytes(blob.sha256))).toBe(blob.sha256);
  });

  describe('errors, in the order of the table (each request also breaks every later row)', () => {
    let session: CreatedSession;
    const blob = makeBlob('doc.txt', 'the right bytes');
    const other = makeBlob('other.txt', 'not in the session');
    const wrongBytes = Buffer.from('the wrong bytes');

    beforeAll(async () => {
      session = await api.createSession([blob]);
    });

    async function expectError(response: Response, status: number, error: string): Promise<void> {
      const body = await errorOf(response);
      expect({ status: body.status, error: body.error }).toEqual({ status, error });
    }

    function put(options: {
      token?: string | null;
      uploadToken?: string | null;
      sessionId?: string;
      sha256?: string;
      contentType?: string;
      body?: Buffer;
    }): Promise<Response> {
      const headers: Record<string, string> = {};
      if (options.token !== null) headers.authorization = options.token ?? `Bearer ${server.token}`;
      if (options.uploadToken !== null) headers['x-upload-token'] = options.uploadToken ?? session.uploadToken;
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
      return fetch(
        `${server.url}/v1/upload-sessions/${options.sessionId ?? session.uploadSessionId}/blobs/${options.sha256 ?? blob.sha256}`,
        {
          method: 'PUT',
          headers,
          body: options.body ?? blob.bytes,
        },
      );
    }

    it('401 unauthenticated: Authorization or X-Upload-Token missing, or not a Bearer token', async () => {
      await expectError(await put({ token: null, sha256: 'nothex', contentType: 'text/plain' }), 401, 'unauthenticated');
      await expectError(await put({ uploadToken: null, sha256: 'nothex' }), 401, 'unauthenticated');
      await expectError(await put({ token: `Basic ${Buffer.from('a:b').toString('base64')}`, sha256: 'nothex' }), 401, 'unauthenticated');
    });

    it('401 invalid_token: unknown or revoked API token', async () => {
      await expectError(await put({ token: 'Bearer pct_unknown', sha256: 'nothex', sessionId: 'us_nope' }), 401, 'invalid_token');
    });

    it('403 forbidden: the token lacks the upload scope', async () => {
      const readOnly = await server.tokenFor('test', ['read']);
      await expectError(await put({ token: `Bearer ${readOnly}`, sha256: 'nothex', sessionId: 'us_nope' }), 403, 'forbidden');
    });

    it('400 invalid_sha256: the path sha256 is not 64 hex digits', async () => {
      await expectError(await put({ sha256: 'z'.repeat(64), sessionId: 'us_nope', uploadToken: 'wrong' }), 400, 'invalid_sha256');
      await expectError(await put({ sha256: 'abc', sessionId: 'us_nope' }), 400, 'invalid_sha256');
    });

    it('404 session_not_found: no such session for this tenant', async () => {
      await expectError(
        await put({ sessionId: 'us_nope', uploadToken: 'wrong', sha256: other.sha256, contentType: 'text/plain' }),
        404,
        'session_not_found',
      );
      const otherTenant = await server.tokenFor('someone-else');
      await expectError(await put({ token: `Bearer ${otherTenant}` }), 404, 'session_not_found');
    });

    it("403 invalid_upload_token: X-Upload-Token is not this session's", async () => {
      const another = await api.createSession([other]);
      await expectError(
        await put({ uploadToken: another.uploadToken, sha256: other.sha256, contentType: 'text/plain' }),
        403,
        'invalid_upload_token',
      );
    });

    it("410 session_expired: the session's expiresAt has passed", async () => {
      const short = await api.createSession([blob], { expiresInSeconds: 1 });
      server.advanceClock(1100);
      // Too late to abort as well: the session stays expired, and so does every write to it.
      expect(await errorOf(await api.abort(short))).toMatchObject({ status: 410, error: 'session_expired' });
      const response = await put({
        sessionId: short.uploadSessionId,
        uploadToken: short.uploadToken,
        sha256: other.sha256,
        contentType: 'text/plain',
      });
      await expectError(response, 410, 'session_expired');
    });

    it('409 session_not_open: the session is completed or aborted', async () => {
      const aborted = await api.createSession([blob]);
      expect((await api.abort(aborted)).status).toBe(204);
      await expectError(
        await put({
          sessionId: aborted.uploadSessionId,
          uploadToken: aborted.uploadToken,
          sha256: other.sha256,
          contentType: 'text/plain',
        }),
        409,
        'session_not_open',
      );

      const small = makeBlob('done.txt', 'completed session');
      const completed = await api.createSession([small]);
      await api.putBlob(completed, small.sha256, small.bytes);
      expect((await api.complete(completed)).status).toBe(200);
      await expectError(
        await put({ sessionId: completed.uploadSessionId, uploadToken: completed.uploadToken, sha256: other.sha256 }),
        409,
        'session_not_open',
      );
    });

    it("404 blob_not_in_session: the session's manifest does not name this sha256", async () => {
      await expectError(await put({ sha256: other.sha256, contentType: 'text/plain', body: wrongBytes }), 404, 'blob_not_in_session');
    });

    it('400 unsupported_content_type: a Content-Type other than application/octet-stream', async () => {
      await expectError(await put({ contentType: 'text/plain', body: wrongBytes }), 400, 'unsupported_content_type');
    });

    it("400 size_mismatch: Content-Length, or the bytes read, differ from the manifest's size", async () => {
      await expectError(await put({ body: Buffer.concat([blob.bytes, Buffer.from('!')]) }), 400, 'size_mismatch');
      await expectError(await put({ body: blob.bytes.subarray(1) }), 400, 'size_mismatch');
      expect(await storedFiles()).not.toContain(blob.sha256);
    });

    it('400 digest_mismatch: the bytes do not hash to the sha256 in the path', async () => {
      const sameLength = Buffer.alloc(blob.size, 0x61);
      await expectError(await put({ body: sameLength }), 400, 'digest_mismatch');
      expect(await storedFiles()).not.toContain(blob.sha256);
      expect(await serverTmpFiles(server)).toEqual([]);
      const status = (await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { missing: string[] };
      expect(status.missing).toEqual([blob.sha256]);
    });
  });
});
