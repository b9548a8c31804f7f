// Blobs in S3, R2 or any S3-compatible store, at `s3://bucket/prefix`: a blob's key (the API's r2Key) lives
// at `<prefix>/<key>` in the bucket, and bytes reach it only once verified, written once. This facade picks
// the path (single-put.ts for small blobs, multipart.ts for large ones, range.ts for reads).
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { sha256OfKey } from '../../../domain/blob-key.js';
import { BlobVerifier, type ExpectedBlob } from '../../../domain/blob-verifier.js';
import type { BlobStat, BlobStore, ByteRange, ListedBlob, StagedBlob } from '../../../domain/ports/blob-store.js';
import { meteredChunks } from './body.js';
import { S3Bucket } from './bucket.js';
import {
  CHECKSUMS_WHEN_REQUIRED,
  limitsOf,
  parseS3Url,
  QUIET_SDK_LOGGER,
  s3ClientConfigFromEnv,
  type S3BlobStoreOptions,
  type S3Limits,
  type S3Location,
} from './config.js';
import { attempt } from './errors.js';
import { abortStaleUploads, stageMultipart } from './multipart.js';
import { PartBuffers } from './part-buffers.js';
import { readObject } from './range.js';
import { stagedPresent, stageSinglePut } from './single-put.js';
import { S3PartialUploads } from './resumable-multipart.js';

const NEVER_ABORTED = new AbortController().signal;

export function createS3BlobStore(url: string, options: S3BlobStoreOptions = {}): S3BlobStore {
  return new S3BlobStore(parseS3Url(url), options);
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  private readonly bucket: S3Bucket;
  private readonly ownsClient: boolean;
  private readonly limits: S3Limits;
  private readonly partBuffers: PartBuffers;

  constructor(location: S3Location, options: S3BlobStoreOptions = {}) {
    const client =
      options.client ?? new S3Client({ ...CHECKSUMS_WHEN_REQUIRED, ...s3ClientConfigFromEnv(process.env), logger: QUIET_SDK_LOGGER });
    this.bucket = new S3Bucket(client, location.bucket, location.prefix);
    this.ownsClient = options.client === undefined;
    this.limits = limitsOf(options);
    this.partBuffers = new PartBuffers(this.limits.partBufferBytes, this.limits.partSize);
  }

  /** Checks the bucket and learns whether it honours If-None-Match (one probe object, written and removed). */
  async init(): Promise<void> {
    await this.checkReady();
    await this.bucket.writesAreConditional();
  }

  /** Aborts multipart uploads older than staleUploadAgeMs: a crashed instance's, never one still running. */
  sweepTemporaries(now: Date): Promise<number> {
    return abortStaleUploads(this.bucket, now.getTime() - this.limits.staleUploadAgeMs);
  }

  async stage(key: string, body: AsyncIterable<Buffer>, expected: ExpectedBlob): Promise<StagedBlob> {
    const objectKey = this.bucket.objectKey(key);
    const verifier = new BlobVerifier(expected);
    if (expected.size <= this.limits.singlePutMaxBytes) return stageSinglePut(this.bucket, objectKey, body, verifier);
    // A large object already there spares the upload; the body is still read and verified.
    if ((await this.bucket.head(objectKey)) !== null) {
      for await (const _chunk of meteredChunks(body, verifier, NEVER_ABORTED)) {
        // counted and hashed only
      }
      verifier.verify();
      return stagedPresent(this.bucket, objectKey);
    }
    return stageMultipart(this.bucket, objectKey, body, verifier, this.limits, this.partBuffers);
  }

  /** Resumable uploads as multipart uploads to their blobs' final keys (resumable-multipart.ts). */
  partialUploads(): S3PartialUploads {
    return new S3PartialUploads(this.bucket, this.limits.partSize);
  }

  async stat(key: string): Promise<BlobStat | null> {
    const head = await this.bucket.head(this.bucket.objectKey(key));
    return head === null ? null : { size: head.ContentLength ?? 0 };
  }

  read(key: string, range?: ByteRange): Promise<Readable> {
    return readObject(this.bucket, this.bucket.objectKey(key), range);
  }

  async delete(key: string): Promise<void> {
    await attempt(this.bucket.client.send(new DeleteObjectCommand({ Bucket: this.bucket.name, Key: this.bucket.objectKey(key) })));
  }

  async *list(): AsyncIterable<ListedBlob> {
    const { keyPrefix } = this.bucket;
    for await (const object of this.bucket.listObjects(keyPrefix)) {
      const key = object.Key?.slice(keyPrefix.length);
      // Probe objects and anything else sharing the prefix are not blobs.
      if (key === undefined || sha256OfKey(key) === null) continue;
      yield { key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
    }
  }

  async checkReady(): Promise<void> {
    await attempt(this.bucket.client.send(new HeadBucketCommand({ Bucket: this.bucket.name })));
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.bucket.client.destroy();
  }
}
