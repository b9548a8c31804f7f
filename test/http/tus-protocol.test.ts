// tus 1.0.0 on a session (API.md "Resumable uploads"): discovery, creation, HEAD, PATCH with checksums,
// termination, and every error of the contract, over real sockets on both backends.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobKey } from '../../src/domain/blob-key.js';
import { Api, type CreatedSession, errorOf, makeBlob, type TestBlob } from '../support/api.js';
import { startServer, type TestServer } from '../support/server.js';

let server: TestServer;
let api: Api;

beforeAll(async () => {
  server = await startServer();
  api = new Api(server.url, server.token);
});
afterAll(async () => server.stop());

const TUS = { 'tus-resumable': '1.0.0' };
const b64 = (text: string) => Buffer.from(text).toString('base64');
const uploadsOf = (session: CreatedSession) => `/v1/upload-sessions/${session.uploadSessionId}/uploads`;

function create(session: CreatedSession, blob: TestBlob, headers: Record<string, string> = {}): Promise<Response> {
  return api.request('POST', uploadsOf(session), {
    headers: {
      ...TUS,
      'x-upload-token': session.uploadToken,
      'upload-length': String(blob.size),
      'upload-metadata': `filename ${b64(blob.path)},sha256 ${b64(blob.sha256)}`,
      ...headers,
    },
  });
}

async function created(session: CreatedSession, blob: TestBlob): Promise<string> {
  const response = await create(session, blob);
  expect(response.status).toBe(201);
  const location = response.headers.get('location') ?? '';
  expect(location).toMatch(new RegExp(`^${uploadsOf(session)}/tus_[A-Za-z0-9_-]+$`));
  return location;
}

function patch(session: CreatedSession, location: string, offset: number, bytes: Buffer, headers: Record<string, string> = {}) {
  return api.request('PATCH', location, {
    raw: bytes,
    headers: {
      ...TUS,
      'x-upload-token': session.uploadToken,
      'content-type': 'application/offset+octet-stream',
      'upload-offset': String(offset),
      ...headers,
    },
  });
}

function head(session: CreatedSession, location: string): Promise<Response> {
  return api.request('HEAD', location, { headers: { ...TUS, 'x-upload-token': session.uploadToken } });
}

const sha = (algorithm: string, bytes: Buffer) => `${algorithm} ${createHash(algorithm).update(bytes).digest('base64')}`;

async function storedBytes(sha256: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await server.server.backends.blobs.read(blobKey(sha256))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('tus discovery', () => {
  it('answers OPTIONS without authentication, with the version, extensions, checksums and largest blob', async () => {
    const response = await fetch(`${server.url}/v1/upload-sessions/us_any/uploads`, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('tus-resumable')).toBe('1.0.0');
    expect(response.headers.get('tus-version')).toBe('1.0.0');
    expect(Number(response.headers.get('tus-max-size'))).toBe(5 * 1024 ** 3);
    expect(response.headers.get('tus-extension')).toBe('creation,creation-with-upload,termination,expiration,checksum');
    expect(response.headers.get('tus-checksum-algorithm')?.split(',')).toEqual(['sha1', 'sha256']);
  });
});

describe('tus uploads into a session', () => {
  it('creates, resumes from HEAD, checks each PATCH, and commits the verified blob as a PUT would', async () => {
    const blob = makeBlob('video.bin', randomBytes(300_000));
    const session = await api.createSession([blob]);
    const location = await created(session, blob);

    const first = blob.bytes.subarray(0, 100_000);
    const answer = await patch(session, location, 0, first, { 'upload-checksum': sha('sha256', first) });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('upload-offset')).toBe('100000');
    expect(answer.headers.get('tus-resumable')).toBe('1.0.0');
    expect(Date.parse(answer.headers.get('upload-expires') ?? '')).toBe(Math.floor(Date.parse(session.expiresAt) / 1000) * 1000);

    const state = await head(session, location);
    expect(state.status).toBe(200);
    expect(state.headers.get('upload-offset')).toBe('100000');
    expect(state.headers.get('upload-length')).toBe('300000');
    expect(state.headers.get('cache-control')).toBe('no-store');
    expect(await server.storedBlobs()).not.toContain(blob.sha256);

    const rest = blob.bytes.subarray(100_000);
    const last = await patch(session, location, 100_000, rest, { 'upload-checksum': sha('sha1', rest) });
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe('300000');
    expect((await storedBytes(blob.sha256)).equals(blob.bytes)).toBe(true);
    expect((await head(session, location)).headers.get('upload-offset')).toBe('300000');
    expect((await api.complete(session)).status).toBe(200);
    expect((await head(session, location)).status).toBe(404);
  });

  it('takes the first bytes with the creation (creation-with-upload)', async () => {
    const blob = makeBlob('small.bin', randomBytes(5000));
    const session = await api.createSession([blob]);
    const withBody = await api.request('POST', uploadsOf(session), {
      raw: blob.bytes,
      headers: {
        ...TUS,
        'x-upload-token': session.uploadToken,
        'upload-length': String(blob.size),
        'upload-metadata': `sha256 ${b64(blob.sha256.toUpperCase())}`,
        'content-type': 'application/offset+octet-stream',
      },
    });
    expect(withBody.status).toBe(201);
    expect(withBody.headers.get('upload-offset')).toBe('5000');
    expect((await storedBytes(blob.sha256)).equals(blob.bytes)).toBe(true);
  });

  it('refuses a PATCH whose checksum is wrong with 460, keeping the offset where it was', async () => {
    const blob = makeBlob('a.bin', randomBytes(20_000));
    const session = await api.createSession([blob]);
    const location = await created(session, blob);
    expect((await patch(session, location, 0, blob.bytes.subarray(0, 5000))).status).toBe(204);
    const wrong = await patch(session, location, 5000, blob.bytes.subarray(5000, 9000), {
      'upload-checksum': sha('sha256', Buffer.from('x')),
    });
    expect(await errorOf(wrong)).toMatchObject({ status: 460, error: 'checksum_mismatch' });
    expect(wrong.headers.get('tus-resumable')).toBe('1.0.0');
    expect((await head(session, location)).headers.get('upload-offset')).toBe('5000');
    const right = await patch(session, location, 5000, blob.bytes.subarray(5000), {
      'upload-checksum': sha('sha1', blob.bytes.subarray(5000)),
    });
    expect(right.status).toBe(204);
    expect((await storedBytes(blob.sha256)).equals(blob.bytes)).toBe(true);
  });

  it('refuses a blob whose bytes do not hash to its sha256: 400 digest_mismatch, the upload gone, nothing stored', async () => {
    const blob = makeBlob('b.bin', randomBytes(10_000));
    const session = await api.createSession([blob]);
    const location = await created(session, blob);
    expect((await patch(session, location, 0, blob.bytes.subarray(0, 4000))).status).toBe(204);
    const forged = await patch(session, location, 4000, randomBytes(6000));
    expect(await errorOf(forged)).toMatchObject({ status: 400, error: 'digest_mismatch' });
    expect(await errorOf(await patch(session, location, 4000, blob.bytes.subarray(4000)))).toMatchObject({
      status: 404,
      error: 'upload_not_found',
    });
    expect((await head(session, location)).status).toBe(404);
    expect(await server.storedBlobs()).not.toContain(blob.sha256);
  });

  it('answers a blob the tenant already holds with 201, verifies its bytes, and stores nothing new', async () => {
    const blob = makeBlob('held.bin', randomBytes(3000));
    await api.publish([blob]);
    const session = await api.createSession([blob]);
    const location = await created(session, blob);
    expect((await patch(session, location, 0, blob.bytes)).status).toBe(204);
    expect((await server.storedBlobs()).filter((sha256) => sha256 === blob.sha256)).toHaveLength(1);
    expect((await api.complete(session)).status).toBe(200);
  });

  it('terminates an upload: 204, then 404 upload_not_found', async () => {
    const blob = makeBlob('c.bin', randomBytes(8000));
    const session = await api.createSession([blob]);
    const location = await created(session, blob);
    expect((await patch(session, location, 0, blob.bytes.subarray(0, 1000))).status).toBe(204);
    const terminated = await api.request('DELETE', location, { headers: { ...TUS, 'x-upload-token': session.uploadToken } });
    expect(terminated.status).toBe(204);
    expect(terminated.headers.get('tus-resumable')).toBe('1.0.0');
    expect(await errorOf(await patch(session, location, 1000, blob.bytes.subarray(1000)))).toMatchObject({
      status: 404,
      error: 'upload_not_found',
    });
  });
});

describe('tus errors', () => {
  let blob: TestBlob;
  let session: CreatedSession;
  let location: string;

  beforeAll(async () => {
    blob = makeBlob('e.bin', randomBytes(4000));
    session = await api.createSession([blob]);
    location = await created(session, blob);
  });

  it('answers 401 before 412, and 412 with Tus-Version without Tus-Resumable', async () => {
    const anonymous = await fetch(`${server.url}${location}`, { method: 'HEAD' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('tus-resumable')).toBe('1.0.0');
    const noVersion = await api.request('PATCH', location, {
      raw: blob.bytes,
      headers: { 'x-upload-token': session.uploadToken, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
    });
    expect(await errorOf(noVersion)).toMatchObject({ status: 412, error: 'unsupported_tus_version' });
    expect(noVersion.headers.get('tus-version')).toBe('1.0.0');
    expect(noVersion.headers.get('tus-resumable')).toBe('1.0.0');
  });

  it('answers each refused PATCH with its code, and the offset stays', async () => {
    expect(await errorOf(await patch(session, location, 5, blob.bytes))).toMatchObject({ status: 409, error: 'offset_mismatch' });
    expect(await errorOf(await patch(session, location, 0, blob.bytes, { 'content-type': 'application/octet-stream' }))).toMatchObject({
      status: 415,
      error: 'unsupported_media_type',
    });
    expect(await errorOf(await patch(session, location, 0, Buffer.concat([blob.bytes, Buffer.from('!')])))).toMatchObject({
      status: 413,
      error: 'payload_too_large',
    });
    expect(await errorOf(await patch(session, location, 0, blob.bytes, { 'upload-checksum': 'md5 AAAA' }))).toMatchObject({
      status: 400,
      error: 'unsupported_checksum_algorithm',
    });
    expect(await errorOf(await patch(session, `${uploadsOf(session)}/tus_unknown`, 0, blob.bytes))).toMatchObject({
      status: 404,
      error: 'upload_not_found',
    });
    expect(await errorOf(await patch({ ...session, uploadToken: 'ut_wrong' }, location, 0, blob.bytes))).toMatchObject({
      status: 403,
      error: 'invalid_upload_token',
    });
    expect((await head(session, location)).headers.get('upload-offset')).toBe('0');
  });

  it('refuses creations as the PUT refuses its blob', async () => {
    expect(await errorOf(await create(session, blob, { 'upload-metadata': 'filename eA==' }))).toMatchObject({
      status: 400,
      error: 'invalid_sha256',
    });
    const other = makeBlob('other.bin');
    expect(await errorOf(await create(session, other))).toMatchObject({ status: 404, error: 'blob_not_in_session' });
    expect(await errorOf(await create(session, { ...blob, size: blob.size + 1 }))).toMatchObject({ status: 400, error: 'size_mismatch' });
    expect(await errorOf(await create({ ...session, uploadSessionId: 'us_unknown' }, blob))).toMatchObject({
      status: 404,
      error: 'session_not_found',
    });
  });

  it('answers 423 while another instance holds the upload, and takes it once that lease lapses', async () => {
    const lone = makeBlob('locked.bin', randomBytes(1000));
    const open = await api.createSession([lone]);
    const upload = await created(open, lone);
    const uploadId = upload.split('/').pop() ?? '';
    const { metadata } = server.server.backends;
    const now = Date.now();
    expect(
      await metadata.leaseResumableUpload(uploadId, 'another-instance', new Date(now).toISOString(), new Date(now + 60_000).toISOString()),
    ).toBe(true);
    expect((await head(open, upload)).status).toBe(423);
    expect(await errorOf(await patch(open, upload, 0, lone.bytes))).toMatchObject({ status: 423, error: 'upload_locked' });
    // A lease that lapsed (its instance died) is taken over.
    expect(
      await metadata.leaseResumableUpload(uploadId, 'another-instance', new Date(now).toISOString(), new Date(now - 1).toISOString()),
    ).toBe(true);
    expect((await patch(open, upload, 0, lone.bytes)).status).toBe(204);
  });

  it('answers a PATCH on an aborted session as the PUT does (409)', async () => {
    const lone = makeBlob('f.bin', randomBytes(1000));
    const aborted = await api.createSession([lone]);
    const upload = await created(aborted, lone);
    expect((await api.abort(aborted)).status).toBe(204);
    expect(await errorOf(await patch(aborted, upload, 0, lone.bytes))).toMatchObject({ status: 409, error: 'session_not_open' });
  });
});
