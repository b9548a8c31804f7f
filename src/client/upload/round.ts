// One round of uploads into one session: the blobs it lacks, planned into units (plan.ts) and sent a few at a
// time, each request retried (retry.ts) under a stall watchdog (stall.ts); a batch refused falls back to PUTs.
import { isPressCloudApiError } from '../errors.js';
import type { SessionCredentials, UploadBlob } from './api.js';
import { sendBatch } from './batch.js';
import { BatchNotAcceptedError, BlobUploadFailedError } from './errors.js';
import { planUploads } from './plan.js';
import type { UploadUnit } from './plan.js';
import { mapWithConcurrency } from './pool.js';
import { isRetryable, withRetry } from './retry.js';
import type { UploadContext } from './context.js';
import { assertReadable } from './probe.js';

export type RoundOutcome = 'uploaded' | 'session_expired';

/**
 * Uploads `blobs` into `session`. Stops taking new units when the session expires (the caller opens a new one,
 * whose `missing` says what is left); any other failure stops the round and is thrown as a BlobUploadFailedError.
 */
export async function uploadRound<B extends UploadBlob>(
  context: UploadContext<B>,
  session: SessionCredentials,
  blobs: readonly B[],
): Promise<RoundOutcome> {
  const round = new AbortController();
  const { signal } = context.options;
  const onInterrupt = () => round.abort(signal?.reason);
  signal?.addEventListener('abort', onInterrupt, { once: true });
  let sessionExpired = false;
  const units = planUploads(blobs, {
    batches: context.batches,
    resumableAboveBytes: context.options.resumable?.aboveBytes,
  });
  try {
    await mapWithConcurrency(
      units,
      context.concurrency,
      async (unit) => {
        try {
          await uploadUnit(context, session, unit, round.signal);
        } catch (err) {
          if (isPressCloudApiError(err, 'session_expired')) {
            // In-flight requests may still land; whatever did not is in the next session's `missing`.
            sessionExpired = true;
            return;
          }
          if (round.signal.aborted) return;
          const failure = err instanceof BlobUploadFailedError ? err : new BlobUploadFailedError(unitBlobs(unit), err);
          round.abort(failure);
        }
      },
      round.signal,
      () => sessionExpired,
    );
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onInterrupt);
  }
  return sessionExpired ? 'session_expired' : 'uploaded';
}

function unitBlobs<B>(unit: UploadUnit<B>): B[] {
  return unit.kind === 'batch' ? unit.blobs : [unit.blob];
}

async function uploadUnit<B extends UploadBlob>(
  context: UploadContext<B>,
  session: SessionCredentials,
  unit: UploadUnit<B>,
  signal: AbortSignal,
): Promise<void> {
  if (unit.kind === 'put') return putOne(context, session, unit.blob, signal);
  if (unit.kind === 'resumable') {
    const resumable = context.options.resumable;
    if (!resumable) return putOne(context, session, unit.blob, signal);
    await resumable.upload(session, unit.blob, {
      signal,
      onBytes: (delta) => context.events.onBytes?.(delta),
      retryPolicy: context.retryPolicy,
      stallTimeoutMs: context.stallTimeoutMs,
    });
    return context.uploaded(unit.blob);
  }
  try {
    await sendBatch(context, session, unit.blobs, signal);
  } catch (err) {
    if (!(err instanceof BatchNotAcceptedError)) throw err;
    if (context.batches) context.events.onBatchesRefused?.(err);
    context.batches = false;
    for (const blob of err.pending as readonly B[]) await putOne(context, session, blob, signal);
  }
}

async function putOne<B extends UploadBlob>(context: UploadContext<B>, session: SessionCredentials, blob: B, signal: AbortSignal) {
  await withRetry(
    async () => {
      await assertReadable(blob, signal);
      let sent = 0;
      try {
        await context.withStall(signal, (callSignal, touch) =>
          context.options.api.putBlob(session, blob, {
            signal: callSignal,
            onProgress: (bytes) => {
              sent += bytes;
              context.events.onBytes?.(bytes);
              touch();
            },
          }),
        );
      } catch (err) {
        context.events.onBytes?.(-sent);
        // A request that broke off because its source could not be read is the source's failure, not the network's.
        if (isRetryable(err)) await assertReadable(blob, signal);
        throw err;
      }
    },
    context.retryPolicy,
    (notice) => context.retried(`upload of ${context.describe(blob)}`, notice),
    signal,
  );
  context.uploaded(blob);
}
