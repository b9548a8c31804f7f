// The API calls the page makes with the tab's token: JSON over fetch, answers typed by the SDK's wire types,
// failures as the SDK's errors (the API's code and message, or "no answer").
import { PressCloudApiError, PressCloudNetworkError, parseRetryAfter } from '../client/errors.js';
import type {
  CompleteUploadSessionResponse,
  CreateUploadSessionRequest,
  CreateUploadSessionResponse,
  ErrorBody,
  Manifest,
  ManifestList,
  UploadSessionStatus,
} from '../api/types.js';

export interface SessionCredentials {
  readonly uploadSessionId: string;
  readonly uploadToken: string;
}

export class PageApi {
  constructor(readonly token: string) {}

  listManifests(options: { limit: number; cursor?: string }): Promise<ManifestList> {
    const query = new URLSearchParams({ limit: String(options.limit) });
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    return this.call('GET', `/v1/manifests?${query}`);
  }

  getManifest(manifestId: string): Promise<Manifest> {
    return this.call('GET', `/v1/manifests/${encodeURIComponent(manifestId)}`);
  }

  createUploadSession(request: CreateUploadSessionRequest, signal?: AbortSignal): Promise<CreateUploadSessionResponse> {
    return this.call('POST', '/v1/upload-sessions', { body: request, signal });
  }

  getUploadSession(uploadSessionId: string): Promise<UploadSessionStatus> {
    return this.call('GET', `/v1/upload-sessions/${encodeURIComponent(uploadSessionId)}`);
  }

  completeUploadSession(session: SessionCredentials, signal?: AbortSignal): Promise<CompleteUploadSessionResponse> {
    return this.call('POST', `/v1/upload-sessions/${encodeURIComponent(session.uploadSessionId)}/complete`, {
      uploadToken: session.uploadToken,
      signal,
    });
  }

  async abortUploadSession(session: SessionCredentials): Promise<void> {
    await this.call('DELETE', `/v1/upload-sessions/${encodeURIComponent(session.uploadSessionId)}`, { uploadToken: session.uploadToken });
  }

  /** A blob's bytes, typed as opaque bytes whatever the server's Content-Type: the page never renders them. */
  async downloadBlob(sha256: string, signal?: AbortSignal): Promise<Blob> {
    const response = await this.send('GET', `/v1/blobs/${encodeURIComponent(sha256)}`, { signal });
    if (!response.ok) throw await apiError(response);
    // Re-typed without copying: the browser keeps a large blob on disk rather than in memory.
    return new Blob([await response.blob()], { type: 'application/octet-stream' });
  }

  /** The headers of every call: the API token, and the session's upload token for writes to a session. */
  headers(uploadToken?: string): Record<string, string> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (uploadToken !== undefined) headers['x-upload-token'] = uploadToken;
    return headers;
  }

  private async call<T>(
    method: string,
    path: string,
    init: { body?: unknown; uploadToken?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const response = await this.send(method, path, init);
    if (!response.ok) throw await apiError(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    init: { body?: unknown; uploadToken?: string; signal?: AbortSignal },
  ): Promise<Response> {
    const headers = this.headers(init.uploadToken);
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(path, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: init.signal,
        // The token travels in a header only; nothing is cached or credentialed by the browser.
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new PressCloudNetworkError('The server could not be reached.', { cause: err });
    }
  }
}

/** The API's own code and message; a body that is not the API's (a proxy's page, say) gets the status line. */
async function apiError(response: Response): Promise<PressCloudApiError> {
  const text = await response.text().catch(() => '');
  return errorFromBody(response.status, text, response.headers.get('retry-after') ?? undefined);
}

export function errorFromBody(status: number, text: string, retryAfter: string | undefined): PressCloudApiError {
  let body: Partial<ErrorBody> = {};
  try {
    body = JSON.parse(text) as Partial<ErrorBody>;
  } catch {
    // Not JSON: described by its status below.
  }
  return new PressCloudApiError({
    status,
    code: typeof body.error === 'string' ? body.error : 'http_error',
    message: typeof body.message === 'string' ? body.message : `The server answered ${status}.`,
    missing: Array.isArray(body.missing) ? body.missing : undefined,
    retryAfterMs: parseRetryAfter(retryAfter),
  });
}
