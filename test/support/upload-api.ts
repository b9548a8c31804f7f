// Small helpers over the upload API with plain fetch, for tests that drive a real server on a socket.
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { sha256Of as sha256Hex } from './api.js';

/** The same digest helper as api.ts, under the name these tests use. */
export { sha256Hex };

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
  return files.map((f) => ({ path: f.path, sha256: sha256Hex(f.content), size: f.content.length }));
}

async function answer<T>(response: Response): Promise<ApiAnswer<T>> {
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
}

export async function createSession(url: string, token: string, files: readonly LocalFile[]): Promise<ApiAnswer<OpenSession>> {
  const response = await fetch(`${url}/v1/upload-sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ files: manifestOf(files) }),
  });
  return answer<OpenSession>(response);
}

export async function putBlob(url: string, token: string, session: OpenSession, content: Buffer, sha256 = sha256Hex(content)): Promise<ApiAnswer> {
  const response = await fetch(`${url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${sha256}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'x-upload-token': session.uploadToken, 'content-type': 'application/octet-stream' },
    body: content,
  });
  return answer(response);
}

export interface RawAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: http.IncomingHttpHeaders;
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
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text, headers: response.headers }));
      response.on('error', reject);
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
    `${url}/v1/upload-sessions/${session.uploadSessionId}/blobs/${options.sha256 ?? sha256Hex(body)}`,
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
  const response = await fetch(`${url}/v1/upload-sessions/${session.uploadSessionId}/complete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-upload-token': session.uploadToken },
  });
  return answer(response);
}

export async function abortSession(url: string, token: string, session: OpenSession): Promise<ApiAnswer> {
  const response = await fetch(`${url}/v1/upload-sessions/${session.uploadSessionId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}`, 'x-upload-token': session.uploadToken },
  });
  return answer(response);
}

export async function sessionStatus(url: string, token: string, sessionId: string): Promise<ApiAnswer<{ state: string; missing: string[]; manifestId?: string }>> {
  return answer(await fetch(`${url}/v1/upload-sessions/${sessionId}`, { headers: { authorization: `Bearer ${token}` } }));
}

export async function getManifest(url: string, token: string, manifestId: string): Promise<ApiAnswer<{ files: Array<{ path: string; sha256: string; size: number }> }>> {
  return answer(await fetch(`${url}/v1/manifests/${manifestId}`, { headers: { authorization: `Bearer ${token}` } }));
}

/** GET of a blob: its status and, on 200, the sha256 of the bytes that came back. */
export async function downloadBlob(url: string, token: string, sha256: string): Promise<{ status: number; sha256?: string; size?: number }> {
  const response = await fetch(`${url}/v1/blobs/${sha256}`, { headers: { authorization: `Bearer ${token}` } });
  const bytes = Buffer.from(await response.arrayBuffer());
  return response.status === 200 ? { status: 200, sha256: sha256Hex(bytes), size: bytes.length } : { status: response.status };
}

/** Uploads everything the session is missing and completes it; returns the manifest id. */
export async function uploadAll(url: string, token: string, files: readonly LocalFile[]): Promise<string> {
  const created = await createSession(url, token, files);
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  const bySha = new Map(files.map((f) => [sha256Hex(f.content), f.content]));
  for (const sha256 of created.body.missing) {
    const put = await putBlob(url, token, created.body, bySha.get(sha256) ?? Buffer.alloc(0));
    if (put.status !== 200) throw new Error(`put: ${put.status} ${JSON.stringify(put.body)}`);
  }
  const done = await completeSession(url, token, created.body);
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${JSON.stringify(done.body)}`);
  return (done.body.manifest as { manifestId: string }).manifestId;
}

export interface StoredFile {
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

/** Hashes already computed, by file path, with the size and mtime they were computed for. */
export type HashCache = Map<string, { size: number; mtimeMs: number; sha256: string }>;

/**
 * Every file under <dataDir>/blobs, hashed; a correct store has name === sha256 for each. With a cache,
 * a file whose size and mtime did not change since it was hashed is not read again.
 */
export async function storedBlobFiles(dataDir: string, cache: HashCache = new Map()): Promise<StoredFile[]> {
  const root = path.join(dataDir, 'blobs');
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: StoredFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const stats = await fs.stat(file);
    let known = cache.get(file);
    if (!known || known.size !== stats.size || known.mtimeMs !== stats.mtimeMs) {
      known = { size: stats.size, mtimeMs: stats.mtimeMs, sha256: sha256Hex(await fs.readFile(file)) };
      cache.set(file, known);
    }
    files.push({ name: entry.name, sha256: known.sha256, size: known.size });
  }
  return files;
}

/** What <dataDir>/tmp holds (upload temporaries); [] when the directory is absent. */
export async function tmpFiles(dataDir: string): Promise<string[]> {
  return fs.readdir(path.join(dataDir, 'tmp')).catch(() => []);
}
