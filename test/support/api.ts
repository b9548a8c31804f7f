// The one HTTP helper module for tests: blobs with their digests, the `Api` client over real sockets, and free
// functions answering status + parsed body (plus node:http requests for answers that come before the body ends).
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

export interface TestBlob {
  readonly path: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly size: number;
}

export function sha256Of(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function makeBlob(path: string, bytes: Buffer | string = randomBytes(64)): TestBlob {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return { path, bytes: buffer, sha256: sha256Of(buffer), size: buffer.length };
}

export interface CreatedSession {
  uploadSessionId: string;
  uploadToken: string;
  state: string;
  expiresAt: string;
  fileCount: number;
  blobCount: number;
  totalBytes: number;
  missing: string[];
}

export class Api {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  request(
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string>; raw?: Buffer | string } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...init.headers };
    let body: Buffer | string | undefined = init.raw;
    if (init.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(init.body);
    }
    return fetch(`${this.url}${path}`, { method, headers, body });
  }

  async createSession(
    files: ReadonlyArray<{ path: string; sha256: string; size: number; mime?: string }>,
    extra: Record<string, unknown> = {},
  ): Promise<CreatedSession> {
    const response = await this.request('POST', '/v1/upload-sessions', {
      body: { files: files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, ...(f.mime ? { mime: f.mime } : {}) })), ...extra },
    });
    if (response.status !== 201) throw new Error(`create session: ${response.status} ${await response.text()}`);
    return (await response.json()) as CreatedSession;
  }

  putBlob(
    session: { uploadSessionId: string; uploadToken: string },
    sha256: string,
    bytes: Buffer | string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return this.request('PUT', `/v1/upload-sessions/${session.uploadSessionId}/blobs/${sha256}`, {
      raw: bytes,
      headers: { 'x-upload-token': session.uploadToken, 'content-type': 'application/octet-stream', ...headers },
    });
  }

  complete(session: { uploadSessionId: string; uploadToken: string }): Promise<Response> {
    return this.request('POST', `/v1/upload-sessions/${session.uploadSessionId}/complete`, {
      headers: { 'x-upload-token': session.uploadToken },
    });
  }

  abort(session: { uploadSessionId: string; uploadToken: string }): Promise<Response> {
    return this.request('DELETE', `/v1/upload-sessions/${session.uploadSessionId}`, { headers: { 'x-upload-token': session.uploadToken } });
  }

  /** Creates a session, uploads every missing blob and completes it; returns the manifest id. */
  async publish(blobs: readonly TestBlob[]): Promise<string> {
    const session = await this.createSession(blobs);
    for (const sha256 of session.missing) {
      const blob = blobs.find((b) => b.sha256 === sha256);
      if (!blob) throw new Error('missing names an unknown blob');
      const put = await this.putBlob(session, sha256, blob.bytes);
      if (put.status !== 200) throw new Error(`put: ${put.status} ${await put.text()}`);
    }
    const done = await this.complete(session);
    if (done.status !== 200) throw new Error(`complete: ${done.status} ${await done.text()}`);
    return ((await done.json()) as { manifest: { manifestId: string } }).manifest.manifestId;
  }
}

/** Reads an error body and checks it is the seed's flat {"error","message"}. */
export async function errorOf(
  response: Response,
): Promise<{ status: number; error: string; message: string; body: Record<string, unknown> }> {
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.error !== 'string' || typeof body.message !== 'string' || body.message.length === 0) {
    throw new Error(`not a flat error body: ${JSON.stringify(body)}`);
  }
  return { status: response.status, error: body.error, message: body.message, body };
}

export interface ApiAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface LocalFile {
  readonly path: string;
  readonly content: Buffer;
}

export interface OpenSession {
  readonly uploadSessionId: string;
  readonly uploadToken: string;
  readonly missing: string[];
}

export function manifestOf(files: readonly LocalFile[]): Array<{ path: string; sha256: string; size: number }> {
  return files.map((f) => ({ path: f.path, sha256: sha256Of(f.content), size: f.content.length }));
}

/** Status, parsed JSON body and headers of an answer: what most tests assert on. */
export async function answerOf<T = Record<string, unknown>>(response: Response): Promise<ApiAnswer<T>> {
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
}

// The functions below are the `Api` calls with the answer already read, for tests that assert on it directly.

export async function createSession(url: string, token: string, files: readonly LocalFile[]): Promise<ApiAnswer<OpenSession>> {
  return answerOf<OpenSession>(await new Api(url, token).request('POST', '/v1/upload-sessions', { body: { files: manifestOf(files) } }));
}

export async function putBlob(
  url: string,
  token: string,
  session: OpenSession,
  content: Buffer,
  sha256 = sha256Of(content),
): Promise<ApiAnswer> {
  return answerOf(await new Api(url, token).putBlob(session, sha256, content));
}

export interface RawAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** Reads a node:http answer to its end. */
export function readRawAnswer(response: http.IncomingMessage): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve({ status: response.statusCode ?? 0, text, headers: response.headers }));
    response.on('error', reject);
  });
}

/**
 * A request over node:http that reports the answer even when the server answers (and closes) before the
 * body is all sent, as it does for a full disk or a body over the limit; fetch would report only the
 * broken pipe.
 */
export function sendRequest(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers });
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      readRawAnswer(response).then(resolve, reject);
    });
    // EPIPE/ECONNRESET right after an early answer are expected: the server stopped reading on purpose. The
    // answer, if any, is parsed before the request closes, so the error counts only if none came by then.
    request.on('error', (err) => request.once('close', () => answered || reject(err)));
    request.end(body);
  });
}

/** The seed's PUT over sendRequest, with the usual headers unless `headers` overrides them. */
export async function putBytes(
  url: string,
  token: string,
  session: OpenSession,
  body: Buffer,
  options: { sha256?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: http.IncomingHttpHeaders }> {
  const answer = await sendRequest(
    `${url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${options.sha256 ?? sha256Of(body)}`,
    'PUT',
    {
      authorization: `Bearer ${token}`,
      'x-upload-token': session.uploadToken,
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      ...options.headers,
    },
    body,
  );
  return { status: answer.status, body: answer.text ? (JSON.parse(answer.text) as Record<string, unknown>) : {}, headers: answer.headers };
}

export async function completeSession(url: string, token: string, session: OpenSession): Promise<ApiAnswer> {
  return answerOf(await new Api(url, token).complete(session));
}

export async function abortSession(url: string, token: string, session: OpenSession): Promise<ApiAnswer> {
  return answerOf(await new Api(url, token).abort(session));
}

export type SessionStatus = ApiAnswer<{ state: string; missing: string[]; manifestId?: string }>;

export async function sessionStatus(url: string, token: string, sessionId: string): Promise<SessionStatus> {
  return answerOf(await new Api(url, token).request('GET', `/v1/upload-sessions/${sessionId}`));
}

export type ManifestAnswer = ApiAnswer<{ files: Array<{ path: string; sha256: string; size: number }> }>;

export async function getManifest(url: string, token: string, manifestId: string): Promise<ManifestAnswer> {
  return answerOf(await new Api(url, token).request('GET', `/v1/manifests/${manifestId}`));
}

export interface Downloaded {
  readonly status: number;
  readonly sha256?: string;
  readonly size?: number;
}

/** GET of a blob: its status and, on 200, the sha256 of the bytes that came back. */
export async function downloadBlob(url: string, token: string, sha256: string): Promise<Downloaded> {
  const response = await new Api(url, token).request('GET', `/v1/blobs/${sha256}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  return response.status === 200 ? { status: 200, sha256: sha256Of(bytes), size: bytes.length } : { status: response.status };
}

/** Uploads everything the session is missing and completes it (Api.publish); returns the manifest id. */
export function uploadAll(url: string, token: string, files: readonly LocalFile[]): Promise<string> {
  return new Api(url, token).publish(files.map((f) => makeBlob(f.path, f.content)));
}
