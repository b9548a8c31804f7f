// The upload core's calls over `fetch`, for Node and browsers alike: JSON for the session calls, blob bytes
// streamed from their ByteSource (a batch as multipart/form-data framed here, its Content-Length known up front).
// Browsers stream a request body only over HTTP/2; the page sends bodies with XMLHttpRequest instead (web/).
import type { PutBlobResponse, UploadBlobsResponse } from '../../api/types.js';
import { PressCloudApiError, PressCloudNetworkError, apiErrorOf } from '../errors.js';
import type { BodyOptions, UploadCallOptions, SessionCredentials, UploadApi, UploadBlob } from './api.js';

export interface FetchApiOptions {
  /** The service's root, e.g. `https://api.presscloud.example`; a path prefix is kept. */
  baseUrl: string | URL;
  token: string;
  /** Another fetch (a proxying one, a test's); the global one otherwise. */
  fetch?: typeof fetch;
  /** Added to every request (the page: `cache: 'no-store'`, `credentials: 'omit'`). */
  init?: RequestInit;
}

export function fetchUploadApi(
  options: FetchApiOptions,
): UploadApi & { call<T>(method: string, path: string, init?: CallInit): Promise<T> } {
  const base = new URL(options.baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const doFetch = options.fetch ?? ((input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(input, init));
  const sessionPath = (session: SessionCredentials | string) =>
    `v1/upload-sessions/${encodeURIComponent(typeof session === 'string' ? session : session.uploadSessionId)}`;

  async function call<T>(method: string, path: string, init: CallInit = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'application/json', ...init.headers };
    if (init.uploadToken !== undefined) headers['x-upload-token'] = init.uploadToken;
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    let response: Response;
    try {
      response = await doFetch(new URL(path, base), {
        ...options.init,
        method,
        headers,
        body,
        signal: init.signal,
        // Node's fetch needs it for a streamed body; browsers ignore it for others.
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw new PressCloudNetworkError(`${method} /${path} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    try {
      const text = await response.text();
      if (!response.ok) throw apiErrorOf(response.status, text, response.headers.get('retry-after') ?? undefined);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch (err) {
      if (err instanceof PressCloudApiError) throw err;
      if (init.signal?.aborted) throw init.signal.reason;
      throw new PressCloudNetworkError(`${method} /${path}: the answer broke off`, { cause: err });
    }
  }

  return {
    call,
    createUploadSession: (request, o: UploadCallOptions = {}) => call('POST', 'v1/upload-sessions', { json: request, signal: o.signal }),
    getUploadSession: (id, o: UploadCallOptions = {}) => call('GET', sessionPath(id), { signal: o.signal }),
    completeUploadSession: (session, o: UploadCallOptions = {}) =>
      call('POST', `${sessionPath(session)}/complete`, { uploadToken: session.uploadToken, signal: o.signal }),
    abortUploadSession: async (session, o: UploadCallOptions = {}) => {
      await call('DELETE', sessionPath(session), { uploadToken: session.uploadToken, signal: o.signal });
    },
    putBlob: (session, blob, o: BodyOptions = {}) =>
      call<PutBlobResponse>('PUT', `${sessionPath(session)}/blobs/${blob.sha256}`, {
        uploadToken: session.uploadToken,
        signal: o.signal,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
        body: streamOf(blobChunks(blob, o), o.signal),
      }),
    uploadBlobs: (session, blobs, o: BodyOptions = {}) => {
      const multipart = multipartOf(blobs, o);
      return call<UploadBlobsResponse>('POST', `${sessionPath(session)}/blobs`, {
        uploadToken: session.uploadToken,
        signal: o.signal,
        headers: { 'content-type': multipart.contentType, 'content-length': String(multipart.contentLength) },
        body: streamOf(multipart.chunks, o.signal),
      });
    },
  };
}

export interface CallInit extends UploadCallOptions {
  headers?: Record<string, string>;
  uploadToken?: string;
  json?: unknown;
  body?: RequestInit['body'];
}

/** A blob's bytes, exactly `size` of them: a source that runs long or short fails the request. */
async function* blobChunks(blob: UploadBlob, options: BodyOptions): AsyncGenerator<Uint8Array> {
  let sent = 0;
  for await (const chunk of blob.source.read(0, blob.size, options.signal)) {
    sent += chunk.byteLength;
    if (sent > blob.size) break;
    yield chunk;
    options.onProgress?.(chunk.byteLength);
  }
  if (sent !== blob.size) throw new Error(`The source of ${blob.sha256} did not have the ${blob.size} bytes announced (it changed?).`);
}

function multipartOf(blobs: readonly UploadBlob[], options: BodyOptions) {
  const random = crypto.getRandomValues(new Uint8Array(16));
  const boundary = `presscloud-${Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
  const encoder = new TextEncoder();
  const heads = blobs.map((blob, index) =>
    encoder.encode(
      `${index === 0 ? '' : '\r\n'}--${boundary}\r\n` +
        `Content-Disposition: form-data; name="${blob.sha256}"; filename="${blob.sha256}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
  );
  const closing = encoder.encode(`${blobs.length === 0 ? '' : '\r\n'}--${boundary}--\r\n`);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (const [index, blob] of blobs.entries()) {
      yield heads[index];
      yield* blobChunks(blob, options);
    }
    yield closing;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: heads.reduce((sum, head, index) => sum + head.byteLength + blobs[index].size, closing.byteLength),
    chunks: chunks(),
  };
}

/** A web stream pulling from `chunks` as the request sends; cancelling it (a failed request) ends the generator. */
function streamOf(chunks: AsyncGenerator<Uint8Array>, signal?: AbortSignal): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (signal?.aborted) {
        controller.error(signal.reason);
        return;
      }
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
