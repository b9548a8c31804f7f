// Reading an upload body for the S3 store: every chunk goes through the verifier, and a failed S3 request
// ends the read at once, even while the client has stopped sending.
import { AppError } from '../../../domain/errors.js';
import type { BlobVerifier } from '../../../domain/blob-verifier.js';

/** Iterates `source` until it ends or `signal` aborts (then throws `signal.reason`). */
export async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  signal.throwIfAborted();
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const next = await nextOrAbort(iterator, signal);
      if (next.done) {
        ended = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Not awaited: a stalled source would never answer.
    if (!ended) iterator.return?.().catch(() => undefined);
  }
}

/**
 * One step, raced against the signal with a listener that lives only for this step: racing every
 * step against one long-lived promise would keep every chunk reachable from it until the end.
 */
function nextOrAbort<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    iterator.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Yields the body's chunks after feeding each to the verifier. Throws size_mismatch as soon as the body runs
 * long and when it ends short, so a request carrying it never waits for bytes that will not come. The caller
 * still calls verifier.verify() for the digest.
 */
export async function* meteredChunks(body: AsyncIterable<Buffer>, verifier: BlobVerifier, signal: AbortSignal): AsyncGenerator<Buffer> {
  for await (const chunk of abortable(body, signal)) {
    verifier.update(chunk);
    yield chunk;
  }
  const { size } = verifier.expected;
  if (verifier.bytesReceived !== size) {
    throw new AppError('size_mismatch', `The body has ${verifier.bytesReceived} bytes; the manifest's size is ${size}.`);
  }
}
