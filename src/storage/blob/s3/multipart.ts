// Large blobs: a multipart upload straight to the final key, its parts sent while the body still arrives
// (a few at a time, in buffers from the store's budget). Nothing is visible at the key until commit()
// completes the upload, which happens only once the whole body is verified; any failure aborts it.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, ListMultipartUploadsCommandOutput } from '@aws-sdk/client-s3';
import { sha256OfKey } from '../../../domain/blob-key.js';
import type { BlobVerifier } from '../../../domain/blob-verifier.js';
import { AppError } from '../../../domain/errors.js';
import type { StagedBlob } from '../../../domain/ports/blob-store.js';
import { meteredChunks } from './body.js';
import { CONTENT_TYPE, type S3Bucket } from './bucket.js';
import { MAX_PARTS, MiB, type S3Limits } from './config.js';
import { attempt, isS3Error, S3_UNSUPPORTED_ERROR_CODES, toStoreError } from './errors.js';
import type { PartBuffers } from './part-buffers.js';

export async function stageMultipart(
  bucket: S3Bucket,
  objectKey: string,
  body: AsyncIterable<Buffer>,
  verifier: BlobVerifier,
  limits: S3Limits,
  buffers: PartBuffers,
): Promise<StagedBlob> {
  // Started now, awaited by the first part: the upload is being created while that part fills.
  const created = attempt(
    bucket.client.send(new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: objectKey, ContentType: CONTENT_TYPE })),
  ).then(({ UploadId }) => {
    if (UploadId === undefined) throw new AppError('storage_unavailable', 'The blob store started a multipart upload without an id.');
    return UploadId;
  });
  created.catch(() => undefined);
  let parts: CompletedPart[];
  try {
    parts = await uploadParts({ bucket, objectKey, created, buffers }, body, verifier, limits);
    verifier.verify();
  } catch (err) {
    await created.then((uploadId) => abortUploadQuietly(bucket, objectKey, uploadId)).catch(() => undefined);
    throw err;
  }
  const uploadId = await created;
  let completed = false;
  return {
    commit: () =>
      bucket.oneCommitAtATime(objectKey, async () => {
        if (!(await bucket.writesAreConditional()) && (await bucket.head(objectKey)) !== null) return { created: false };
        completed = await completeUpload(bucket, objectKey, uploadId, parts);
        return { created: completed };
      }),
    discard: async () => {
      if (!completed) await abortUploadQuietly(bucket, objectKey, uploadId);
      completed = true;
    },
  };
}

/**
 * Aborts the multipart uploads of blob keys started before `cutoff`: what a crashed instance left. Returns how
 * many; 0 on stores without ListMultipartUploads (s3rver), whose leftovers only a lifecycle rule can expire.
 */
export async function abortStaleUploads(bucket: S3Bucket, cutoff: number): Promise<number> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    let page: ListMultipartUploadsCommandOutput;
    try {
      page = await bucket.client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket.name,
          Prefix: bucket.keyPrefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
    } catch (err) {
      if (isS3Error(err, S3_UNSUPPORTED_ERROR_CODES)) return aborted;
      throw toStoreError(err);
    }
    for (const { Key: key, UploadId: uploadId, Initiated: initiated } of page.Uploads ?? []) {
      const isOurs = key?.startsWith(bucket.keyPrefix) && sha256OfKey(key.slice(bucket.keyPrefix.length)) !== null;
      if (isOurs && key !== undefined && uploadId !== undefined && (initiated?.getTime() ?? 0) < cutoff) {
        await attempt(bucket.client.send(new AbortMultipartUploadCommand({ Bucket: bucket.name, Key: key, UploadId: uploadId })));
        aborted += 1;
      }
    }
    if (!page.IsTruncated) return aborted;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

interface Upload {
  readonly bucket: S3Bucket;
  readonly objectKey: string;
  readonly created: Promise<string>;
  readonly buffers: PartBuffers;
}

/** Copies the body into part buffers and sends each full one, at most `partsInFlight` at once. */
async function uploadParts(
  upload: Upload,
  body: AsyncIterable<Buffer>,
  verifier: BlobVerifier,
  limits: S3Limits,
): Promise<CompletedPart[]> {
  // A failed part must also end the wait on a slow body (and on the buffer budget).
  const work = new AbortController();
  const partSize = Math.max(limits.partSize, Math.ceil(verifier.expected.size / MAX_PARTS / MiB) * MiB);
  const parts: CompletedPart[] = [];
  const sending = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let started = 0;
  const send = (buffer: Buffer, length: number) => {
    const partNumber = ++started;
    const sent: Promise<void> = sendPart(upload, partNumber, buffer, length, work.signal).then(
      (part) => {
        parts.push(part);
        sending.delete(sent);
      },
      (err: unknown) => {
        sending.delete(sent);
        failure ??= { err };
        work.abort(err);
      },
    );
    sending.add(sent);
  };
  let buffer: Buffer | undefined;
  let filled = 0;
  try {
    for await (const chunk of meteredChunks(body, verifier, work.signal)) {
      let offset = 0;
      while (offset < chunk.length) {
        buffer ??= await upload.buffers.take(partSize, work.signal);
        const copied = chunk.copy(buffer, filled, offset);
        offset += copied;
        filled += copied;
        if (filled === partSize) {
          send(buffer, filled);
          [buffer, filled] = [undefined, 0];
          while (sending.size >= limits.partsInFlight) await Promise.race(sending);
        }
      }
    }
    // S3 needs one part even for an empty object.
    if (buffer !== undefined || started === 0) send(buffer ?? (await upload.buffers.take(0, work.signal)), filled);
    buffer = undefined;
    while (sending.size > 0) await Promise.race(sending);
  } catch (err) {
    failure ??= { err };
  } finally {
    if (buffer !== undefined) upload.buffers.give(buffer, true);
    work.abort();
    await Promise.allSettled(sending);
  }
  if (failure) throw failure.err;
  return parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
}

/** Sends one part without a checksum of its own: the whole body's SHA-256 is verified here, once. */
async function sendPart(upload: Upload, partNumber: number, buffer: Buffer, length: number, signal: AbortSignal): Promise<CompletedPart> {
  const { bucket, objectKey, buffers } = upload;
  let sent = false;
  try {
    const uploadId = await upload.created;
    const { ETag } = await attempt(
      bucket.client.send(
        new UploadPartCommand({
          Bucket: bucket.name,
          Key: objectKey,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: buffer.subarray(0, length),
          ContentLength: length,
        }),
        { abortSignal: signal },
      ),
      signal,
    );
    sent = true;
    return { PartNumber: partNumber, ETag };
  } finally {
    // A request cut short may still be reading the buffer: only a finished one's buffer is reused.
    buffers.give(buffer, sent);
  }
}

/** If-None-Match makes the completion exact under races where the store supports it. */
async function completeUpload(bucket: S3Bucket, objectKey: string, uploadId: string, parts: CompletedPart[]): Promise<boolean> {
  try {
    await bucket.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket.name,
        Key: objectKey,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        IfNoneMatch: '*',
      }),
    );
    return true;
  } catch (err) {
    if (await bucket.lostToExistingObject(err, objectKey)) return false;
    throw toStoreError(err);
  }
}

/** Best effort: garbage collection aborts what a failure here leaves (and a lifecycle rule, on stores without it). */
async function abortUploadQuietly(bucket: S3Bucket, objectKey: string, uploadId: string): Promise<void> {
  await bucket.client
    .send(new AbortMultipartUploadCommand({ Bucket: bucket.name, Key: objectKey, UploadId: uploadId }))
    .catch(() => undefined);
}
