// The upload core's calls made through the SDK's client (its keep-alive undici pool), with each blob's bytes
// read from its file when its request goes out, and afresh on each retry.
import { Readable } from 'node:stream';
import type { PressCloudClient } from '../../client/client.js';
import type { UploadApi } from '../../client/upload/api.js';
import type { LocalBlob } from './local-manifest.js';

export function clientUploadApi(client: PressCloudClient): UploadApi<LocalBlob> {
  const bodyOf = (blob: LocalBlob, signal?: AbortSignal) => () => Readable.from(blob.source.read(0, blob.size, signal));
  return {
    createUploadSession: (request, options) => client.createUploadSession(request, options),
    getUploadSession: (id, options) => client.getUploadSession(id, options),
    completeUploadSession: (session, options) => client.completeUploadSession(session.uploadSessionId, session.uploadToken, options),
    abortUploadSession: (session, options) => client.abortUploadSession(session.uploadSessionId, session.uploadToken, options),
    putBlob: (session, blob, options = {}) =>
      client.putBlob(session.uploadSessionId, session.uploadToken, blob.sha256, bodyOf(blob, options.signal), {
        size: blob.size,
        signal: options.signal,
        onProgress: options.onProgress,
      }),
    uploadBlobs: (session, blobs, options = {}) =>
      client.uploadBlobs(
        session.uploadSessionId,
        session.uploadToken,
        blobs.map((blob) => ({ sha256: blob.sha256, size: blob.size, body: bodyOf(blob, options.signal) })),
        options,
      ),
  };
}
