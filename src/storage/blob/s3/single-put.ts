// Small blobs: received into memory while hashed, verified, then written once by commit() with one PutObject
// to the final key carrying the SHA-256 (x-amz-checksum-sha256), so S3 and R2 check the transfer too.
// Also a blob already at its key when the upload began, which needs no write at all.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { BlobVerifier } from '../../../domain/blob-verifier.js';
import { AppError } from '../../../domain/errors.js';
import type { StagedBlob } from '../../../domain/ports/blob-store.js';
import { CONTENT_TYPE, type S3Bucket } from './bucket.js';
import { toStoreError } from './errors.js';

export async function stageSinglePut(
  bucket: S3Bucket,
  objectKey: string,
  body: AsyncIterable<Buffer>,
  verifier: BlobVerifier,
): Promise<StagedBlob> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    verifier.update(chunk);
    chunks.push(chunk);
  }
  verifier.verify();
  let bytes: Buffer | undefined = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, verifier.bytesReceived);
  chunks.length = 0;
  const checksum = Buffer.from(verifier.expected.sha256, 'hex').toString('base64');
  return {
    commit: () =>
      bucket.oneCommitAtATime(objectKey, async () => {
        if (bytes === undefined) throw new Error('commit() after discard()');
        // Where the store ignores If-None-Match (s3rver), a HEAD keeps an existing object from being rewritten.
        if (!(await bucket.writesAreConditional()) && (await bucket.head(objectKey)) !== null) return { created: false };
        return { created: await putIfAbsent(bucket, objectKey, bytes, checksum) };
      }),
    discard: async () => {
      bytes = undefined;
    },
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

async function putIfAbsent(bucket: S3Bucket, objectKey: string, bytes: Buffer, checksum: string): Promise<boolean> {
  try {
    await bucket.client.send(
      new PutObjectCommand({
        Bucket: bucket.name,
        Key: objectKey,
        Body: bytes,
        ContentLength: bytes.length,
        ContentType: CONTENT_TYPE,
        ChecksumSHA256: checksum,
        IfNoneMatch: '*',
      }),
    );
    return true;
  } catch (err) {
    if (await bucket.lostToExistingObject(err, objectKey)) return false;
    throw toStoreError(err);
  }
}
