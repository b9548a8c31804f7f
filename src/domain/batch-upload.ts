// The batch POST's parts, each received and stored exactly as the seed's PUT stores a blob (blob-ingest.ts).
// A part's bytes are staged (verified, fsync'd) while the next part is read; the commits of the whole batch
// then go to the group committer together, so a batch costs about one metadata commit, not one per part.
import type { SessionStore } from './ports/metadata-store.js';
import type { BatchPartResult } from '../api/types.js';
import { blobKey, isSha256 } from './blob-key.js';
import type { BlobIngest, IngestTarget, ReceivedBlob } from './blob-ingest.js';
import { AppError, isAppError, type ErrorCode } from './errors.js';

export interface IncomingPart {
  /** The part's field name: the blob's sha256 as sent (undefined when the part has none). */
  readonly name: string | undefined;
  /** Read it before asking for the next part. */
  readonly body: AsyncIterable<Buffer>;
}

export interface BatchTarget {
  readonly tenantId: string;
  readonly sessionId: string;
}

/** Parts whose bytes are staged at once, at most: their fsyncs or S3 requests overlap the reading of later parts. */
const MAX_PARTS_IN_FLIGHT = 32;
/** A part up to this size is read whole before it is staged, so its staging runs beside the next part's reading. */
const READ_AHEAD_BYTES = 128 * 1024;

/** Errors that belong to one part; anything else (a broken body, a timeout, a bug) fails the whole request. */
const PART_ERRORS = new Set<ErrorCode>([
  'invalid_sha256',
  'blob_not_in_session',
  'size_mismatch',
  'digest_mismatch',
  'storage_unavailable',
  'insufficient_storage',
]);

interface Staged {
  readonly index: number;
  readonly target: IngestTarget;
  readonly received: ReceivedBlob;
}

/**
 * Stores the parts in the order they come and answers one result per part. Whatever ends the request early
 * (malformed, over a limit, cut off) is thrown, but only after the parts staged before it are committed.
 */
export async function uploadBatch(
  metadata: Pick<SessionStore, 'putContext'>,
  ingest: BlobIngest,
  target: BatchTarget,
  parts: AsyncIterable<IncomingPart>,
): Promise<BatchPartResult[]> {
  const results: Array<BatchPartResult | undefined> = [];
  const staged: Staged[] = [];
  const inFlight = new Set<Promise<void>>();
  let requestError: { readonly error: unknown } | undefined;
  const settle = (index: number, sha256: string, err: unknown): void => {
    if (isAppError(err) && PART_ERRORS.has(err.code)) results[index] = failedPart(sha256, err);
    else requestError ??= { error: err };
  };

  try {
    for await (const part of parts) {
      const index = results.length;
      const sent = part.name ?? '';
      results.push(undefined);
      if (!isSha256(sent)) {
        settle(index, sent, new AppError('invalid_sha256'));
        continue;
      }
      const sha256 = sent.toLowerCase();
      const context = await metadata.putContext(target.tenantId, target.sessionId, sha256);
      if (!context) throw new AppError('session_not_found');
      if (!context.blob) {
        settle(index, sha256, new AppError('blob_not_in_session'));
        continue;
      }
      const blobTarget: IngestTarget = { tenantId: target.tenantId, blob: context.blob, held: context.held };
      while (inFlight.size >= MAX_PARTS_IN_FLIGHT) await Promise.race(inFlight);
      const body = await readAhead(part.body, Math.min(context.blob.size, READ_AHEAD_BYTES));
      const task = ingest.receive(blobTarget, body.chunks).then(
        (received) => void staged.push({ index, target: blobTarget, received }),
        (err: unknown) => settle(index, sha256, err),
      );
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
      // A part too large to read ahead streams into the store: the next part starts where its reading ends.
      if (body.consumed) await Promise.race([body.consumed, task]);
    }
  } catch (err) {
    requestError ??= { error: err };
  }

  await Promise.all(inFlight);
  // Every commit joins the committer's queue in this one tick: the batch shares its group commits.
  await Promise.all(
    staged.map(async ({ index, target: { blob }, received }) => {
      try {
        const { alreadyPresent, mime } = await received.commit();
        const stored = { sha256: blob.sha256, size: blob.size, ...(mime ? { mime } : {}), r2Key: blobKey(blob.sha256) };
        results[index] = { sha256: blob.sha256, status: 200, alreadyPresent, blob: stored };
      } catch (err) {
        settle(index, blob.sha256, err);
      } finally {
        await received.discard();
      }
    }),
  );
  if (requestError) throw requestError.error;
  return results.map((result) => {
    if (!result) throw new Error('a batch part was left without a result');
    return result;
  });
}

function failedPart(sha256: string, err: AppError): BatchPartResult {
  return { sha256, status: err.status, error: err.code, message: err.message };
}

interface ReadAhead {
  readonly chunks: AsyncIterable<Buffer>;
  /** Set when the part was too large to read ahead: resolves once its last byte has been read. */
  readonly consumed: Promise<void> | undefined;
}

/** Reads up to `limit` bytes (one more chunk at most) of a part; the rest, if any, streams after them. */
async function readAhead(body: AsyncIterable<Buffer>, limit: number): Promise<ReadAhead> {
  const iterator = body[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let bytes = 0;
  while (bytes <= limit) {
    const next = await iterator.next();
    if (next.done) return { chunks: replay(head), consumed: undefined };
    head.push(next.value);
    bytes += next.value.length;
  }
  let finished!: () => void;
  const consumed = new Promise<void>((resolve) => (finished = resolve));
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      finished();
    }
  }
  return { chunks: rest(), consumed };
}

async function* replay(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}
