// Small blobs: a checksummed PUT to a staging object, verified here too (s3rver checks no checksum),
// that commit() copies into place; and a blob already at its key, which needs no upload at all.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { BlobVerifier } from '../../../domain/blob-verifier.js';
import { AppError } from '../../../domain/errors.js';
import type { StagedBlob } from '../../../domain/ports/blob-store.js';
import { meteredChunks } from './body.js';
import { CONTENT_TYPE, type S3Bucket } from './bucket.js';
import { attempt, toStoreError } from './errors.js';

export async function stageObject(
  bucket: S3Bucket,
  objectKey: string,
  body: AsyncIterable<Buffer>,
  verifier: BlobVerifier,
): Promise<StagedBlob> {
  const stagingKey = `${bucket.stagingPrefix}${randomUUID()}/${verifier.expected.sha256}`;
  try {
    await putStagingObject(bucket, stagingKey, body, verifier);
    verifier.verify();
  } catch (err) {
    await bucket.deleteQuietly(stagingKey);
    throw err;
  }
  return {
    commit: () =>
      bucket.oneCommitAtATime(objectKey, async () => {
        // Checked first as well: some stores (s3rver) ignore If-None-Match and would rewrite the object.
        if ((await bucket.head(objectKey)) !== null) return { created: false };
        return { created: await copyIntoPlace(bucket, stagingKey, objectKey) };
      }),
    discard: () => bucket.deleteQuietly(stagingKey),
  };
}

/** The object was already at its key when the upload began: commit() only checks it is still there. */
export function stagedPresent(bucket: S3Bucket, objectKey: string): StagedBlob {
  return {
    commit: async () => {
      if ((await bucket.head(objectKey)) === null) {
        throw new AppError('storage_unavailable', 'The blob was removed from the store during the upload; retry.');
      }
      return { created: false };
    },
    discard: async () => undefined,
  };
}

/** Younger staging objects may belong to another instance's upload in progress. */
export async function removeStaleStagingObjects(bucket: S3Bucket, cutoff: number): Promise<void> {
  for await (const object of bucket.listObjects(bucket.stagingPrefix)) {
    if (object.Key !== undefined && (object.LastModified?.getTime() ?? 0) < cutoff) {
      await attempt(bucket.client.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: object.Key })));
    }
  }
}

async function putStagingObject(bucket: S3Bucket, stagingKey: string, body: AsyncIterable<Buffer>, verifier: BlobVerifier): Promise<void> {
  // The SDK pipes the body without watching it: a body that fails must abort the request itself, and a
  // request that fails must end the wait on a stalled body.
  const request = new AbortController();
  let bodyError: unknown;
  const content = Readable.from(meteredChunks(body, verifier, request.signal), { objectMode: false });
  content.on('error', (err) => {
    bodyError ??= err;
    request.abort(err);
  });
  const { sha256, size } = verifier.expected;
  try {
    await bucket.client.send(
      new PutObjectCommand({
        Bucket: bucket.name,
        Key: stagingKey,
        Body: content,
        ContentLength: size,
        ContentType: CONTENT_TYPE,
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      }),
      { abortSignal: request.signal },
    );
  } catch (err) {
    if (bodyError !== undefined) throw bodyError;
    // A store that checks ChecksumSHA256 refuses a wrong digest: blame the body when it is at fault.
    if (verifier.bytesReceived === size) verifier.verify();
    throw toStoreError(err);
  } finally {
    request.abort();
  }
}

/** If-None-Match makes the copy exact under races where the store supports it; elsewhere it rewrites the same bytes. */
async function copyIntoPlace(bucket: S3Bucket, stagingKey: string, objectKey: string): Promise<boolean> {
  try {
    await bucket.client.send(
      new CopyObjectCommand({ Bucket: bucket.name, Key: objectKey, CopySource: copySource(bucket.name, stagingKey), IfNoneMatch: '*' }),
    );
    return true;
  } catch (err) {
    if (await bucket.lostToExistingObject(err, objectKey)) return false;
    throw toStoreError(err);
  }
}

function copySource(bucketName: string, objectKey: string): string {
  return [bucketName, ...objectKey.split('/')].map(encodeURIComponent).join('/');
}
