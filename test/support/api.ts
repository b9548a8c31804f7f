// Small helpers for HTTP tests: blobs with their digests, and calls to a server over real sockets.
import { createHash, randomBytes } from 'node:crypto';

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

  request(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; raw?: Buffer | string } = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...init.headers };
    let body: Buffer | string | undefined = init.raw;
    if (init.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(init.body);
    }
    return fetch(`${this.url}${path}`, { method, headers, body });
  }

  async createSession(files: ReadonlyArray<{ path: string; sha256: string; size: number; mime?: string }>, extra: Record<string, unknown> = {}): Promise<CreatedSession> {
    const response = await this.request('POST', '/v1/upload-sessions', {
      body: { files: files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, ...(f.mime ? { mime: f.mime } : {}) })), ...extra },
    });
    if (response.status !== 201) throw new Error(`create session: ${response.status} ${await response.text()}`);
    return (await response.json()) as CreatedSession;
  }

  putBlob(session: { uploadSessionId: string; uploadToken: string }, sha256: string, bytes: Buffer | string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request('PUT', `/v1/upload-sessions/${session.uploadSessionId}/blobs/${sha256}`, {
      raw: bytes,
      headers: { 'x-upload-token': session.uploadToken, 'content-type': 'application/octet-stream', ...headers },
    });
  }

  complete(session: { uploadSessionId: string; uploadToken: string }): Promise<Response> {
    return this.request('POST', `/v1/upload-sessions/${session.uploadSessionId}/complete`, { headers: { 'x-upload-token': session.uploadToken } });
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
export async function errorOf(response: Response): Promise<{ status: number; error: string; message: string; body: Record<string, unknown> }> {
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.error !== 'string' || typeof body.message !== 'string' || body.message.length === 0) {
    throw new Error(`not a flat error body: ${JSON.stringify(body)}`);
  }
  return { status: response.status, error: body.error, message: body.message, body };
}
