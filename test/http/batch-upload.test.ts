// The batch POST: one result per part, each part stored as the PUT stores a blob, whole-request errors in the
// PUT's order, and the 413 limits, over real sockets.
import { Ajv } from 'ajv';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Api, makeBlob, sha256Of, type CreatedSession, type RawAnswer, type TestBlob } from '../support/api.js';
import { serverTmpFiles } from '../support/fs-store.js';
import { bytesReceived, multipartBody, openBatch, postBatch, type BatchTarget, type TestPart } from '../support/multipart.js';
import { startServer, type TestServer, TEST_BACKEND } from '../support/server.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

function target(session: CreatedSession, token = server.token): BatchTarget {
  return { url: server.url, token, session };
}

function partOf(blob: TestBlob, bytes = blob.bytes): TestPart {
  return { name: blob.sha256, bytes, filename: path.basename(blob.path), contentType: 'application/octet-stream' };
}

function json(answer: RawAnswer): Record<string, unknown> {
  return JSON.parse(answer.text) as Record<string, unknown>;
}

function errorOf(answer: RawAnswer): { status: number; error: unknown } {
  const body = json(answer);
  expect(typeof body.message).toBe('string');
  return { status: answer.status, error: body.error };
}

function storedBytes(sha256: string): Promise<Buffer | null> {
  return server.storedBytes(sha256);
}

function r2Key(sha256: string): string {
  return `sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}

describe('POST /v1/upload-sessions/{uploadSessionId}/blobs', () => {
  it('answers one result per part in order: good parts stored, bad parts stored nothing and stopped nothing', async () => {
    const page = makeBlob('site/index.html', '<h1>batch</h1>');
    const held = makeBlob('site/held.txt', 'the tenant got this one earlier');
    const digest = makeBlob('site/digest.bin', 'the right bytes');
    const short = makeBlob('site/short.bin', 'bytes that arrive cut short');
    const named = makeBlob('README', 'plain words, sent as a field without a filename');
    const dup = makeBlob('site/dup.css', 'body { color: red }');
    const outsider = makeBlob('elsewhere.txt', 'not in this session');
    await api.publish([held]);
    const session = await api.createSession([page, held, digest, short, named, dup]);
    expect(session.missing).toEqual([page.sha256, digest.sha256, short.sha256, named.sha256, dup.sha256]);

    const body = multipartBody([
      partOf(page),
      partOf(digest, Buffer.alloc(digest.size, 0x2e)),
      { name: 'not-a-sha256', bytes: Buffer.from('whatever') },
      partOf(held),
      partOf(short, short.bytes.subarray(0, 5)),
      partOf(outsider),
      { name: named.sha256.toUpperCase(), bytes: named.bytes, contentType: 'text/plain; charset=utf-8' },
      partOf(dup),
      partOf(dup),
      { name: undefined, bytes: Buffer.from('no name at all') },
    ]);
    const answer = await postBatch(target(session), body);
    expect(answer.status).toBe(200);
    expect(json(answer)).toEqual({
      uploadSessionId: session.uploadSessionId,
      results: [
        {
          sha256: page.sha256,
          status: 200,
          alreadyPresent: false,
          blob: { sha256: page.sha256, size: page.size, mime: 'text/html', r2Key: r2Key(page.sha256) },
        },
        { sha256: digest.sha256, status: 400, error: 'digest_mismatch', message: expect.any(String) },
        { sha256: 'not-a-sha256', status: 400, error: 'invalid_sha256', message: expect.any(String) },
        {
          sha256: held.sha256,
          status: 200,
          alreadyPresent: true,
          blob: { sha256: held.sha256, size: held.size, mime: 'text/plain', r2Key: r2Key(held.sha256) },
        },
        { sha256: short.sha256, status: 400, error: 'size_mismatch', message: expect.any(String) },
        { sha256: outsider.sha256, status: 404, error: 'blob_not_in_session', message: expect.any(String) },
        {
          sha256: named.sha256,
          status: 200,
          alreadyPresent: false,
          blob: { sha256: named.sha256, size: named.size, r2Key: r2Key(named.sha256) },
        },
        {
          sha256: dup.sha256,
          status: 200,
          alreadyPresent: false,
          blob: { sha256: dup.sha256, size: dup.size, mime: 'text/css', r2Key: r2Key(dup.sha256) },
        },
        {
          sha256: dup.sha256,
          status: 200,
          alreadyPresent: true,
          blob: { sha256: dup.sha256, size: dup.size, mime: 'text/css', r2Key: r2Key(dup.sha256) },
        },
        { sha256: '', status: 400, error: 'invalid_sha256', message: expect.any(String) },
      ],
    });

    for (const blob of [page, held, named, dup]) expect(sha256Of((await storedBytes(blob.sha256)) ?? Buffer.alloc(0))).toBe(blob.sha256);
    for (const blob of [digest, short, outsider]) expect(await storedBytes(blob.sha256)).toBeNull();
    expect((await server.storedBlobs()).filter((sha) => sha === dup.sha256)).toHaveLength(1);
    expect(await serverTmpFiles(server)).toEqual([]);
    const status = (await (await api.request('GET', `/v1/upload-sessions/${session.uploadSessionId}`)).json()) as { missing: string[] };
    expect(status.missing).toEqual([digest.sha256, short.sha256]);

    const retry = await postBatch(target(session), multipartBody([partOf(digest), partOf(short), partOf(page)]));
    expect((json(retry).results as Array<{ alreadyPresent?: boolean }>).map((r) => r.alreadyPresent)).toEqual([false, false, true]);
    expect((await api.complete(session)).status).toBe(200);
  });

  it('stores a part larger than the read-ahead, streamed, and verifies a wrong large part without keeping it', async () => {
    const big = makeBlob('big.bin', Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    const wrong = makeBlob('wrong.bin', Buffer.alloc(1024 * 1024, 9));
    const small = makeBlob('small.txt', 'after the big ones');
    const session = await api.createSession([big, wrong, small]);
    const answer = await postBatch(
      target(session),
      multipartBody([partOf(big), partOf(wrong, Buffer.alloc(wrong.size + 1, 9)), partOf(small)]),
    );
    expect(answer.status).toBe(200);
    expect((json(answer).results as Array<{ status: number; error?: string }>).map((r) => [r.status, r.error])).toEqual([
      [200, undefined],
      [400, 'size_mismatch'],
      [200, undefined],
    ]);
    expect(sha256Of((await storedBytes(big.sha256)) ?? Buffer.alloc(0))).toBe(big.sha256);
    expect(await storedBytes(wrong.sha256)).toBeNull();
    expect(await serverTmpFiles(server)).toEqual([]);
  });

  it("records a batch's blobs in one group commit, not one transaction per part", async () => {
    const blobs = Array.from({ length: 100 }, (_, i) => makeBlob(`many/${i}.txt`, `small file ${i} ${Math.random()}`));
    const session = await api.createSession(blobs);
    const metadata = server.server.backends.metadata;
    const recordBlobs = metadata.recordBlobs;
    const transactions: number[] = [];
    metadata.recordBlobs = (recorded) => {
      transactions.push(recorded.length);
      return recordBlobs(recorded);
    };
    try {
      const answer = await postBatch(target(session), multipartBody(blobs.map((blob) => partOf(blob))));
      expect((json(answer).results as Array<{ status: number }>).every((r) => r.status === 200)).toBe(true);
    } finally {
      metadata.recordBlobs = recordBlobs;
    }
    expect(transactions).toEqual([100]);
    expect((await server.storedBlobs()).filter((sha) => blobs.some((b) => b.sha256 === sha))).toHaveLength(100);
    // On the embedded default that one transaction carried the bytes too: no file was written for any of them.
    expect(server.inlineBlobs().filter((sha) => blobs.some((b) => b.sha256 === sha))).toHaveLength(TEST_BACKEND === 'sqlite-fs' ? 100 : 0);
  });

  it('answers 200 with no results for an empty multipart body, with or without its closing boundary', async () => {
    const session = await api.createSession([makeBlob('a.txt')]);
    for (const body of [multipartBody([]), { ...multipartBody([]), body: Buffer.alloc(0) }]) {
      const answer = await postBatch(target(session), body);
      expect([answer.status, json(answer)]).toEqual([200, { uploadSessionId: session.uploadSessionId, results: [] }]);
    }
  });

  describe('whole-request errors, in the order of the PUT (each request also breaks every later row)', () => {
    const blob = makeBlob('doc.txt', 'the bytes of the whole-request error checks');
    const other = makeBlob('other.txt', 'another session');
    let session: CreatedSession;
    const good = () => multipartBody([partOf(blob)]);
    const plain = { ...multipartBody([partOf(blob)]), contentType: 'text/plain' };

    beforeAll(async () => {
      session = await api.createSession([blob]);
    });

    it('401 unauthenticated, 401 invalid_token, 403 forbidden come from the token before anything else', async () => {
      const noSession = { ...session, uploadSessionId: 'us_nope', uploadToken: 'wrong' };
      expect(errorOf(await postBatch(target(noSession), plain, { authorization: undefined }))).toEqual({
        status: 401,
        error: 'unauthenticated',
      });
      expect(errorOf(await postBatch(target(noSession), plain, { 'x-upload-token': undefined }))).toEqual({
        status: 401,
        error: 'unauthenticated',
      });
      expect(errorOf(await postBatch(target(noSession), plain, { authorization: 'Basic YTpi' }))).toEqual({
        status: 401,
        error: 'unauthenticated',
      });
      expect(errorOf(await postBatch(target(noSession, 'pct_unknown'), plain))).toEqual({ status: 401, error: 'invalid_token' });
      const readOnly = await server.tokenFor('test', ['read']);
      expect(errorOf(await postBatch(target(noSession, readOnly), plain))).toEqual({ status: 403, error: 'forbidden' });
    });

    it('404 session_not_found, also for another tenant’s session', async () => {
      expect(errorOf(await postBatch(target({ ...session, uploadSessionId: 'us_nope', uploadToken: 'wrong' }), plain))).toEqual({
        status: 404,
        error: 'session_not_found',
      });
      const otherTenant = await server.tokenFor('someone-else');
      expect(errorOf(await postBatch(target(session, otherTenant), good()))).toEqual({ status: 404, error: 'session_not_found' });
    });

    it("403 invalid_upload_token: X-Upload-Token is not this session's", async () => {
      const another = await api.createSession([other]);
      expect(errorOf(await postBatch(target({ ...session, uploadToken: another.uploadToken }), plain))).toEqual({
        status: 403,
        error: 'invalid_upload_token',
      });
    });

    it('410 session_expired, then 409 session_not_open for an aborted or completed session', async () => {
      const short = await api.createSession([blob], { expiresInSeconds: 1 });
      server.advanceClock(1100);
      // Too late to abort as well: the session stays expired, and so does every write to it.
      const tooLate = await api.abort(short);
      expect([tooLate.status, ((await tooLate.json()) as { error: string }).error]).toEqual([410, 'session_expired']);
      expect(errorOf(await postBatch(target(short), plain))).toEqual({ status: 410, error: 'session_expired' });

      const aborted = await api.createSession([blob]);
      expect((await api.abort(aborted)).status).toBe(204);
      expect(errorOf(await postBatch(target(aborted), plain))).toEqual({ status: 409, error: 'session_not_open' });
      const done = await api.createSession([other]);
      expect((await postBatch(target(done), multipartBody([partOf(other)]))).status).toBe(200);
      expect((await api.complete(done)).status).toBe(200);
      expect(errorOf(await postBatch(target(done), multipartBody([partOf(other)])))).toEqual({ status: 409, error: 'session_not_open' });
    });

    it('400 unsupported_content_type for a body that is not multipart/form-data, absent type included', async () => {
      for (const contentType of ['text/plain', 'application/octet-stream', 'multipart/mixed; boundary=x', 'application/json']) {
        expect(errorOf(await postBatch(target(session), { ...good(), contentType }))).toEqual({
          status: 400,
          error: 'unsupported_content_type',
        });
      }
      expect(errorOf(await postBatch(target(session), good().body))).toEqual({ status: 400, error: 'unsupported_content_type' });
      expect(await storedBytes(blob.sha256)).toBeNull();
    });

    it('400 invalid_request for a multipart type without a usable boundary', async () => {
      for (const contentType of [
        'multipart/form-data',
        'multipart/form-data; boundary=',
        `multipart/form-data; boundary=${'x'.repeat(71)}`,
      ]) {
        expect(errorOf(await postBatch(target(session), { ...good(), contentType }))).toEqual({ status: 400, error: 'invalid_request' });
      }
    });
  });

  describe('413 payload_too_large over the batch limits; parts stored before the limit stay stored', () => {
    let limited: TestServer;
    let limitedApi: Api;

    beforeAll(async () => {
      limited = await startServer({ config: { maxBatchParts: 3, maxBatchBytes: 512 * 1024 } });
      limitedApi = new Api(limited.url, limited.token);
    });
    afterAll(async () => limited.stop());

    const limitedTarget = (session: CreatedSession): BatchTarget => ({ url: limited.url, token: limited.token, session });

    it('over the part limit: the first parts are stored and a retry reports them alreadyPresent', async () => {
      const blobs = ['a', 'b', 'c', 'd'].map((name) => makeBlob(`${name}.txt`, `blob ${name}`));
      const session = await limitedApi.createSession(blobs);
      const answer = await postBatch(limitedTarget(session), multipartBody(blobs.map((blob) => partOf(blob))));
      expect(errorOf(answer)).toEqual({ status: 413, error: 'payload_too_large' });
      expect((await limited.storedBlobs()).sort()).toEqual(
        blobs
          .slice(0, 3)
          .map((b) => b.sha256)
          .sort(),
      );

      const retry = await postBatch(limitedTarget(session), multipartBody(blobs.slice(1).map((blob) => partOf(blob))));
      expect((json(retry).results as Array<{ alreadyPresent: boolean }>).map((r) => r.alreadyPresent)).toEqual([true, true, false]);
    });

    it('over the byte limit: refused up front by Content-Length, or when a chunked body runs past it', async () => {
      // Both parts are large enough to stream into the store as they arrive (small ones wait for their group).
      const first = makeBlob('first.bin', Buffer.alloc(200 * 1024, 1));
      const second = makeBlob('second.bin', Buffer.alloc(400 * 1024, 2));
      const session = await limitedApi.createSession([first, second]);
      const body = multipartBody([partOf(first), partOf(second)]);

      expect(errorOf(await postBatch(limitedTarget(session), body))).toEqual({ status: 413, error: 'payload_too_large' });
      expect(await limited.storedBlobs()).not.toContain(first.sha256);

      // The first part and the start of the second go first; once the server stores the second's bytes, the
      // first has been read whole. Then the rest runs the body past the limit.
      const cut = body.body.indexOf(second.bytes.subarray(0, 64)) + 150 * 1024;
      const before = await bytesReceived(limited.url);
      const batch = openBatch(limitedTarget(session), body.contentType);
      await batch.write(body.body.subarray(0, cut));
      await vi.waitFor(async () => expect(await bytesReceived(limited.url)).toBeGreaterThan(before + first.size), { timeout: 10_000 });
      // The server may answer 413 and close while the rest is still on its way: only that may fail the write.
      await batch.write(body.body.subarray(cut)).catch((err: NodeJS.ErrnoException) => expect(['EPIPE', 'ECONNRESET']).toContain(err.code));
      batch.end();
      const chunked = await batch.answer;
      if (chunked === 'destroyed') throw new Error('no answer');
      expect(errorOf(chunked)).toEqual({ status: 413, error: 'payload_too_large' });
      expect(await limited.storedBlobs()).toContain(first.sha256);
      expect(await limited.storedBlobs()).not.toContain(second.sha256);
    });
  });

  describe('in /openapi.json', () => {
    interface Operation {
      requestBody: {
        required: boolean;
        content: Record<string, { schema: { type: string; additionalProperties: { type: string; contentMediaType: string } } }>;
      };
      responses: Record<string, { content: Record<string, { schema: object }> }>;
      parameters: Array<{ name: string; in: string; required: boolean }>;
    }

    it('documents the multipart body of binary parts, the results and every whole-request error status', async () => {
      const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
      const post = doc.paths['/v1/upload-sessions/{uploadSessionId}/blobs'].post;
      expect(post.requestBody.required).toBe(true);
      expect(Object.keys(post.requestBody.content)).toEqual(['multipart/form-data']);
      expect(post.requestBody.content['multipart/form-data'].schema).toMatchObject({
        type: 'object',
        additionalProperties: { type: 'string', contentMediaType: 'application/octet-stream' },
      });
      expect(post.parameters).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'uploadSessionId', in: 'path', required: true }),
          expect.objectContaining({ name: 'x-upload-token', in: 'header', required: true }),
        ]),
      );
      for (const status of ['200', '400', '401', '403', '404', '408', '409', '410', '413'])
        expect(Object.keys(post.responses)).toContain(status);

      const blob = makeBlob('documented.txt', 'a documented answer');
      const session = await api.createSession([blob]);
      const answer = json(
        await postBatch(
          target(session),
          multipartBody([partOf(blob), partOf(blob, Buffer.alloc(blob.size)), { name: 'x', bytes: Buffer.alloc(1) }]),
        ),
      );
      const validate = new Ajv({ strict: false }).compile(post.responses['200'].content['application/json'].schema);
      expect(validate(answer), JSON.stringify(validate.errors)).toBe(true);
    });
  });
});
