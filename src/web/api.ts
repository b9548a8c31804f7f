// The reads the page makes with the tab's token (uploads go through the upload core: upload-api.ts): JSON over
// fetch, answers typed by the SDK's wire types, failures as the SDK's errors (the API's code and message, or "no answer").
import { PressCloudNetworkError, apiErrorOf } from '../client/errors.js';
import type { PressCloudApiError } from '../client/errors.js';
import type { Manifest, ManifestList } from '../api/types.js';

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

  private async call<T>(method: string, path: string, init: { signal?: AbortSignal } = {}): Promise<T> {
    const response = await this.send(method, path, init);
    if (!response.ok) throw await apiError(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  private async send(method: string, path: string, init: { signal?: AbortSignal }): Promise<Response> {
    const headers = this.headers();
    try {
      return await fetch(path, {
        method,
        headers,
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
  return apiErrorOf(response.status, text, response.headers.get('retry-after') ?? undefined);
}
