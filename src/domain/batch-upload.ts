// The batch POST's parts, each received and stored exactly as the seed's PUT stores a blob (blob-ingest.ts).
// Small parts are read whole and looked up a group at a time; a part's bytes are staged (verified, fsync'd)
// while the next parts are read; the commits of the whole batch then go to the group committer together, so
// a batch costs about one metadata commit, not one per part.
import type { BatchPartStored } from '../api/types.js';
import { blobKey, isSha256 } from './blob-key.js';
import type { BlobIngest, IngestTarget, ReceivedBlob } from './blob-ingest.js';
import { AppError, isAppError, type ErrorCode } from './errors.js';
import type { SessionStore } from './ports/metadata-store.js';

export interface IncomingPart {
  /** The part's field name: the blob's sha256 as sent (undefined when the part has none). */
  readonly name: string | undefined;
  /** Read it before asking for the next part. */
  readonly body: AsyncIterable<Buffer>;
}

/** A part that stored nothing: what went wrong, named by the domain (http/ gives it its status on the wire). */
export interface BatchPartRefused {
  readonly sha256: string;
  readonly error: ErrorCode;
  readonly message: string;
}

export type BatchPartOutcome = BatchPartStored | BatchPartRefused;

export interface BatchTarget {
  readonly tenantId: string;
  readonly sessionId: string;
}

/** Parts whose bytes are staged at once, at most: their fsyncs or S3 requests overlap the reading of later parts. */
const MAX_PARTS_IN_FLIGHT = 32;
/** A part up to this size is read whole before it is staged, so its staging runs beside the next part's reading. */
const READ_AHEAD_BYTES = 128 * 1024;
/** Parts read whole and looked up together, at most (one query for the group instead of one per part). */
const MAX_GROUP_PARTS = 32;
const MAX_GROUP_BYTES = 2 * 1024 * 1024;

/** Errors that belong to one part; anything else (a broken body, a timeout, a bug) fails the whole request. */
const PART_ERRORS = new Set<ErrorCode>([
  'invalid_sha256',
  'blob_not_in_session',
  'size_mismatch',
  'digest_mismatch',
  'storage_unavailable',
  'insufficient_storage',
]);

interface StagedPart {
  readonly index: number;
  readonly target: IngestTarget;
  readonly received: ReceivedBlob;
}

interface ReadPart {
  readonly index: number;
  readonly sha256: string;
  readonly body: ReadAhead;
}

/**
 * Stores the parts in the order they come and answers one result per part. Whatever ends the request early
 * (malformed, over a limit, cut off) is thrown, but only after the parts staged before it are committed.
 */
export async function uploadBatch(
  metadata: Pick<SessionStore, 'sessionBlobs'>,
  ingest: BlobIngest,
  target: BatchTarget,
  parts: AsyncIterable<IncomingPart>,
): Promise<BatchPartOutcome[]> {
  const results: Array<BatchPartOutcome | undefined> = [];
  const staged: StagedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let group: ReadPart[] = [];
  let groupBytes = 0;
  let requestError: { readonly error: unknown } | undefined;
  const settle = (index: number, sha256: string, err: unknown): void => {
    if (isAppError(err) && PART_ERRORS.has(err.code)) results[index] = failedPart(sha256, err);
    else requestError ??= { error: err };
  };

  /** Looks the parts up and starts staging each; a part still streaming is staged before the next is read. */
  const stageParts = async (read: readonly ReadPart[]): Promise<void> => {
    const found = await metadata.sessionBlobs(target.tenantId, target.sessionId, [...new Set(read.map((part) => part.sha256))]);
    for (const { index, sha256, body } of read) {
      const context = found.get(sha256);
      if (!context) {
        settle(index, sha256, new AppError('blob_not_in_session'));
        continue;
      }
      while (inFlight.size >= MAX_PARTS_IN_FLIGHT) await Promise.race(inFlight);
      const blobTarget: IngestTarget = { tenantId: target.tenantId, ...context };
      const task = ingest.receive(blobTarget, body.chunks).then(
        (received) => void staged.push({ index, target: blobTarget, received }),
        (err: unknown) => settle(index, sha256, err),
      );
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
      if (body.consumed) await Promise.race([body.consumed, task]);
    }
  };
  const flushGroup = async (): Promise<void> => {
    const read = group;
    group = [];
    groupBytes = 0;
    if (read.length > 0) await stageParts(read);
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
      const read: ReadPart = { index, sha256: sent.toLowerCase(), body: await readAhead(part.body, READ_AHEAD_BYTES) };
      if (read.body.consumed) {
        // A large part streams into the store: the parts read before it go first, and the next part is read
        // only once this one's bytes have all gone in.
        await flushGroup();
        await stageParts([read]);
        continue;
      }
      group.push(read);
      groupBytes += read.body.bytes;
      if (group.length >= MAX_GROUP_PARTS || groupBytes >= MAX_GROUP_BYTES) await flushGroup();
    }
    await flushGroup();
  } catch (err) {
    requestError ??= { error: err };
    // The parts that arrived whole before the failure are stored all the same.
    await flushGroup().catch(() => undefined);
  }

  await Promise.all(inFlight);
  // Every part's bytes go to their key at once; then all their rows are recorded in one tick, in part order,
  // so the batch shares one group commit and of two parts of one blob the first is the one new to the tenant.
  staged.sort((p, q) => p.index - q.index);
  const placed = await mapBounded(staged, MAX_PARTS_IN_FLIGHT, async (part) => {
    try {
      return { part, placed: await part.received.place() };
    } catch (err) {
      settle(part.index, part.target.blob.sha256, err);
      return { part, placed: undefined };
    }
  });
  await Promise.all(
    placed.map(async ({ part: { index, target, received }, placed }) => {
      const { blob } = target;
      try {
        if (!placed) return;
        const { alreadyPresent, mime } = await placed.record();
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

function failedPart(sha256: string, err: AppError): BatchPartRefused {
  return { sha256, error: err.code, message: err.message };
}

interface ReadAhead {
  readonly chunks: AsyncIterable<Buffer>;
  /** Bytes read into memory. */
  readonly bytes: number;
  /** Set when the part was too large to read whole: resolves once its last byte has been read. */
  readonly consumed: Promise<void> | undefined;
}

/** Reads up to `limit` bytes (one more chunk at most) of a part; the rest, if any, streams after them. */
async function readAhead(body: AsyncIterable<Buffer>, limit: number): Promise<ReadAhead> {
  const iterator = body[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let bytes = 0;
  while (bytes <= limit) {
    const next = await iterator.next();
    if (next.done) return { chunks: replay(head), bytes, consumed: undefined };
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
  return { chunks: rest(), bytes, consumed };
}

/** `map` over `items` with at most `limit` calls running at once, results in the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) results[index] = await map(items[index]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function* replay(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}
