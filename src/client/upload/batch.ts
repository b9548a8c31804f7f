// Sends a batch of small blobs in one multipart request, retried as a PUT is, where a retry sends only the parts
// not stored yet: those that failed, or, after the request itself broke off, those the session still lists as
// missing ("ask what is missing").
import type { UploadBlobsResponse } from '../../api/types.js';
import { PressCloudApiError, isPressCloudApiError } from '../errors.js';
import type { SessionCredentials, UploadBlob } from './api.js';
import type { UploadContext } from './context.js';
import { BatchNotAcceptedError, BlobUploadFailedError } from './errors.js';
import { isRetryable, withRetry } from './retry.js';
import { assertReadable } from './probe.js';

/** Resolves once every blob is stored; throws BlobUploadFailedError, BatchNotAcceptedError or the request's error. */
export async function sendBatch<B extends UploadBlob>(
  context: UploadContext<B>,
  session: SessionCredentials,
  blobs: readonly B[],
  signal: AbortSignal,
): Promise<void> {
  let pending = [...blobs];
  let askWhatIsMissing = false;
  await withRetry(
    async () => {
      if (askWhatIsMissing) {
        pending = await stillMissing(context, session, pending, signal);
        askWhatIsMissing = false;
      }
      if (pending.length === 0) return;
      for (const blob of pending) await assertReadable(blob, signal);
      let response: UploadBlobsResponse;
      try {
        response = await post(context, session, pending, signal);
      } catch (err) {
        askWhatIsMissing = isRetryable(err);
        if (isPressCloudApiError(err) && context.isBatchRefusal(err)) throw new BatchNotAcceptedError(pending, err);
        throw err;
      }
      const { again, error } = settle(context, pending, response);
      pending = again;
      // Thrown for its status: the retry policy waits as for a PUT answered 5xx, then sends these parts again.
      if (error) throw error;
    },
    context.retryPolicy,
    (notice) => context.retried(`upload of a batch of ${pending.length} blob${pending.length === 1 ? '' : 's'}`, notice),
    signal,
  );
}

async function post<B extends UploadBlob>(
  context: UploadContext<B>,
  session: SessionCredentials,
  blobs: readonly B[],
  signal: AbortSignal,
): Promise<UploadBlobsResponse> {
  let sent = 0;
  try {
    return await context.withStall(signal, (callSignal, touch) =>
      context.options.api.uploadBlobs(session, blobs, {
        signal: callSignal,
        onProgress: (bytes) => {
          sent += bytes;
          context.events.onBytes?.(bytes);
          touch();
        },
      }),
    );
  } finally {
    // The bytes of stored parts are counted again by settle(); those of failed parts will be sent again.
    context.events.onBytes?.(-sent);
  }
}

/** Counts the stored parts as uploaded and returns those to send again; a part no retry can fix is thrown. */
function settle<B extends UploadBlob>(
  context: UploadContext<B>,
  blobs: readonly B[],
  response: UploadBlobsResponse,
): { again: B[]; error?: PressCloudApiError } {
  if (response.results.length !== blobs.length) {
    throw new Error(`the server answered ${response.results.length} results for a batch of ${blobs.length} parts`);
  }
  const again: B[] = [];
  let error: PressCloudApiError | undefined;
  response.results.forEach((result, index) => {
    const blob = blobs[index];
    if (result.sha256.toLowerCase() !== blob.sha256) {
      throw new Error(`the server answered for blob ${result.sha256} in place of ${blob.sha256}`);
    }
    if (!('error' in result)) {
      stored(context, blob);
      return;
    }
    // The part's result as the error a PUT of the same blob would have thrown.
    const partError = new PressCloudApiError({ status: result.status, code: result.error, message: result.message });
    if (!isRetryable(partError)) throw new BlobUploadFailedError([blob], partError);
    again.push(blob);
    error ??= partError;
  });
  return { again, error };
}

/** The blobs the session still lacks; the others were stored by the request that broke off. */
async function stillMissing<B extends UploadBlob>(
  context: UploadContext<B>,
  session: SessionCredentials,
  blobs: readonly B[],
  signal: AbortSignal,
): Promise<B[]> {
  const status = await context.withStall(signal, (callSignal) =>
    context.options.api.getUploadSession(session.uploadSessionId, { signal: callSignal }),
  );
  const missing = new Set(status.missing.map((sha) => sha.toLowerCase()));
  for (const blob of blobs) if (!missing.has(blob.sha256)) stored(context, blob);
  return blobs.filter((blob) => missing.has(blob.sha256));
}

function stored<B extends UploadBlob>(context: UploadContext<B>, blob: B): void {
  context.events.onBytes?.(blob.size);
  context.uploaded(blob);
}
