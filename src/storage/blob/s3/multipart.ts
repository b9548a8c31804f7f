// Large blobs: a multipart upload whose parts are checksummed one by one; nothing is visible at the key
// until commit() completes the upload, which happens only once the whole body is verified.
import { createHash } from 'node:crypto';
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
import { MAX_PARTS, MiB } from './config.js';
import { attempt, isS3Error, S3_UNSUPPORTED_ERROR_CODES, toStoreError } from './errors.js';

export async function stageMultipart(
  bucket: S3Bucket,
  objectKey: string,
  body: AsyncIterable<Buffer>,
  verifier: BlobVerifier,
  partSize: number,
): Promise<StagedBlob> {
  const created = await attempt(
    bucket.client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: objectKey, ContentType: CONTENT_TYPE, ChecksumAlgorithm: 'SHA256' }),
    ),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new AppError('storage_unavailable', 'The blob store started a multipart upload without an id.');
  let parts: CompletedPart[];
  try {
    parts = await uploadParts(bucket, objectKey, uploadId, body, verifier, partSize);
    verifier.verify();
  } catch (err) {
    await abortUploadQuietly(bucket, objectKey, uploadId);
    throw err;
  }
  let completed = false;
  return {
    commit: () =>
      bucket.oneCommitAtATime(objectKey, async () => {
        if ((await bucket.head(objectKey)) !== null) return { created: false };
        completed = await completeUpload(bucket, objectKey, uploadId, parts);
        return { created: completed };
      }),
    discard: async () => {
      if (!completed) await abortUploadQuietly(bucket, objectKey, uploadId);
    },
  };
}

/** Multipart uploads of blob keys older than the cutoff: a crashed instance's leftovers. */
export async function abortStaleUploads(bucket: S3Bucket, cutoff: number): Promise<void> {
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
      if (isS3Error(err, S3_UNSUPPORTED_ERROR_CODES)) return;
      throw toStoreError(err);
    }
    for (const { Key: key, UploadId: uploadId, Initiated: initiated } of page.Uploads ?? []) {
      const isOurs = key !== undefined && sha256OfKey(key.slice(bucket.keyPrefix.length)) !== null;
      if (isOurs && uploadId !== undefined && (initiated?.getTime() ?? 0) < cutoff) {
        await abortUploadQuietly(bucket, key, uploadId);
      }
    }
    if (!page.IsTruncated) return;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

async function uploadParts(
  bucket: S3Bucket,
  objectKey: string,
  uploadId: string,
  body: AsyncIterable<Buffer>,
  verifier: BlobVerifier,
  minPartSize: number,
): Promise<CompletedPart[]> {
  // A failed part must also end the wait on a slow body.
  const work = new AbortController();
  const parts: CompletedPart[] = [];
  let inFlight: Promise<CompletedPart> | undefined;
  try {
    const partSize = Math.max(minPartSize, Math.ceil(verifier.expected.size / MAX_PARTS / MiB) * MiB);
    for await (const bytes of partsOf(meteredChunks(body, verifier, work.signal), partSize)) {
      // One part uploads while the next fills.
      if (inFlight) parts.push(await inFlight);
      inFlight = uploadPart(bucket, objectKey, uploadId, parts.length + 1, bytes, work.signal);
      inFlight.catch((err: unknown) => work.abort(err));
    }
    if (inFlight) parts.push(await inFlight);
    return parts;
  } finally {
    work.abort();
  }
}

async function uploadPart(
  bucket: S3Bucket,
  objectKey: string,
  uploadId: string,
  partNumber: number,
  bytes: Buffer,
  signal: AbortSignal,
): Promise<CompletedPart> {
  const checksum = createHash('sha256').update(bytes).digest('base64');
  const { ETag } = await attempt(
    bucket.client.send(
      new UploadPartCommand({
        Bucket: bucket.name,
        Key: objectKey,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: bytes,
        ContentLength: bytes.length,
        ChecksumSHA256: checksum,
      }),
      { abortSignal: signal },
    ),
    signal,
  );
  return { PartNumber: partNumber, ETag, ChecksumSHA256: checksum };
}

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

/** s3rver has no AbortMultipartUpload; S3 and R2 also expire abandoned uploads by lifecycle rule. */
async function abortUploadQuietly(bucket: S3Bucket, objectKey: string, uploadId: string): Promise<void> {
  await bucket.client
    .send(new AbortMultipartUploadCommand({ Bucket: bucket.name, Key: objectKey, UploadId: uploadId }))
    .catch(() => undefined);
}

/** Regroups chunks into parts of exactly `partSize` bytes; only the last may be shorter. */
async function* partsOf(chunks: AsyncIterable<Buffer>, partSize: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (let chunk of chunks) {
    while (pendingBytes + chunk.length >= partSize) {
      const taken = partSize - pendingBytes;
      pending.push(chunk.subarray(0, taken));
      yield Buffer.concat(pending, partSize);
      pending = [];
      pendingBytes = 0;
      chunk = chunk.subarray(taken);
    }
    if (chunk.length > 0) {
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
