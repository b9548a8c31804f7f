// Sends a request body with upload progress: fetch cannot report bytes sent (and Chromium streams request
// bodies only over HTTP/2), XMLHttpRequest can. The body (a File, or FormData of Files) is read from disk as it goes.
import { PressCloudNetworkError } from '../client/errors.js';
import { DEFAULT_STALL_TIMEOUT_SECONDS } from '../cli/transfer-common/constants.js';
import { errorFromBody } from './api.js';

/** A request that moves no byte for this long is given up (and retried), as `presscloud push` does. */
const STALL_MS = DEFAULT_STALL_TIMEOUT_SECONDS * 1000;

export interface TransferRequest {
  readonly method: 'PUT' | 'POST';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Blob | FormData;
  readonly signal: AbortSignal;
  /** Bytes of the request body sent so far (the multipart framing included, for FormData). */
  readonly onSent: (loaded: number, total: number) => void;
}

/** Resolves with the parsed 2xx body; rejects with the API's error, a network error, or the signal's reason. */
export function transfer<T>(request: TransferRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    if (request.signal.aborted) {
      reject(request.signal.reason);
      return;
    }
    const xhr = new XMLHttpRequest();
    let stalled = false;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        xhr.abort();
      }, STALL_MS);
    };
    const onAbort = () => xhr.abort();
    request.signal.addEventListener('abort', onAbort, { once: true });
    const settle = (outcome: () => void) => {
      clearTimeout(watchdog);
      request.signal.removeEventListener('abort', onAbort);
      outcome();
    };
    xhr.open(request.method, request.url);
    for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      touch();
      request.onSent(event.loaded, event.total);
    };
    xhr.onprogress = touch;
    xhr.onload = () =>
      settle(() => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(JSON.parse(xhr.responseText) as T);
          } catch {
            reject(new PressCloudNetworkError('The server sent an answer that is not JSON.'));
          }
        } else {
          reject(errorFromBody(xhr.status, xhr.responseText, xhr.getResponseHeader('retry-after') ?? undefined));
        }
      });
    xhr.onerror = () => settle(() => reject(new PressCloudNetworkError('The connection to the server failed.')));
    xhr.onabort = () =>
      settle(() => {
        if (stalled) reject(new PressCloudNetworkError(`Nothing moved for ${DEFAULT_STALL_TIMEOUT_SECONDS} s; the request was given up.`));
        else reject(request.signal.reason ?? new DOMException('Aborted', 'AbortError'));
      });
    touch();
    xhr.send(request.body);
  });
}
