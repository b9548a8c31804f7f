// Sends a request body with upload progress: fetch cannot report bytes sent (and Chromium streams request
// bodies only over HTTP/2), XMLHttpRequest can. The body (a File, or FormData of Files) is read from disk as it goes.
// Stalls and retries are the upload core's: it aborts `signal` when no progress comes.
import { PressCloudNetworkError, apiErrorOf } from '../client/errors.js';

export interface TransferRequest {
  readonly method: 'PUT' | 'POST';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Blob | FormData;
  readonly signal?: AbortSignal;
  /** Bytes of the request body sent so far (the multipart framing included, for FormData). */
  readonly onSent: (loaded: number, total: number) => void;
}

/** Resolves with the parsed 2xx body; rejects with the API's error, a network error, or the signal's reason. */
export function transfer<T>(request: TransferRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const { signal } = request;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (outcome: () => void) => {
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    xhr.open(request.method, request.url);
    for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => request.onSent(event.loaded, event.total);
    xhr.onload = () =>
      settle(() => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(JSON.parse(xhr.responseText) as T);
          } catch {
            reject(new PressCloudNetworkError('The server sent an answer that is not JSON.'));
          }
        } else {
          reject(apiErrorOf(xhr.status, xhr.responseText, xhr.getResponseHeader('retry-after') ?? undefined));
        }
      });
    xhr.onerror = () => settle(() => reject(new PressCloudNetworkError('The connection to the server failed.')));
    xhr.onabort = () => settle(() => reject(signal?.reason ?? new DOMException('Aborted', 'AbortError')));
    xhr.send(request.body);
  });
}
