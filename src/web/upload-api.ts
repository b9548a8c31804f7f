// The upload core's calls as the page makes them: the session calls over fetch (the core's own), the blob bodies
// over XMLHttpRequest (transfer.ts), the only way a browser reports upload progress over HTTP/1.1.
import type { PutBlobResponse, UploadBlobsResponse } from '../api/types.js';
import type { UploadApi, UploadBlob } from '../client/upload/api.js';
import { fetchUploadApi } from '../client/upload/fetch-api.js';
import type { PageApi } from './api.js';
import { transfer } from './transfer.js';

/** A distinct blob of the picked folder. */
export interface PageBlob extends UploadBlob {
  readonly file: File;
  /** The first manifest path naming this blob, for messages. */
  readonly path: string;
}

export function pageUploadApi(api: PageApi): UploadApi<PageBlob> {
  const calls = fetchUploadApi({ baseUrl: location.origin, token: api.token, init: { cache: 'no-store', credentials: 'omit' } });
  const blobsPath = (uploadSessionId: string) => `/v1/upload-sessions/${encodeURIComponent(uploadSessionId)}/blobs`;
  return {
    ...calls,
    putBlob: (session, blob, options = {}) => {
      let reported = 0;
      return transfer<PutBlobResponse>({
        method: 'PUT',
        url: `${blobsPath(session.uploadSessionId)}/${blob.sha256}`,
        // Without it the browser would send the File's own type, which the API refuses.
        headers: { ...api.headers(session.uploadToken), 'content-type': 'application/octet-stream' },
        body: blob.file,
        signal: options.signal,
        onSent: (loaded) => {
          options.onProgress?.(loaded - reported);
          reported = loaded;
        },
      });
    },
    uploadBlobs: (session, blobs, options = {}) => {
      const form = new FormData();
      // The part's name is the sha256; its filename and type are ignored by the API.
      for (const blob of blobs) form.append(blob.sha256, blob.file, 'blob');
      const payload = blobs.reduce((sum, blob) => sum + blob.size, 0);
      let reported = 0;
      return transfer<UploadBlobsResponse>({
        method: 'POST',
        url: blobsPath(session.uploadSessionId),
        headers: api.headers(session.uploadToken),
        body: form,
        signal: options.signal,
        // The multipart framing counts in `total`: progress is the payload's share of it.
        onSent: (loaded, total) => {
          const now = total > 0 ? Math.round((loaded / total) * payload) : 0;
          options.onProgress?.(now - reported);
          reported = now;
        },
      });
    },
  };
}
