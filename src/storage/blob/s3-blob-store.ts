// Blobs in S3, R2 or any S3-compatible store, at `s3://bucket/prefix`. A blob's key (the API's r2Key) is
// relative to the prefix: it lives at `<prefix>/<key>` in the bucket, and bytes reach it only once verified.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import type { _Object, CompletedPart, HeadObjectCommandOutput, S3ClientConfig } from '@aws-sdk/client-s3';
import { blobKey, sha256OfKey } from '../../domain/blob-key.js';
import { BlobVerifier } from '../../domain/blob-verifier.js';
import type { ExpectedBlob } from '../../domain/blob-verifier.js';
import { AppError } from '../../domain/errors.js';
import type { BlobStat, BlobStore, ByteRange, ListedBlob, PutOptions, StagedBlob } from '../../domain/ports/blob-store.js';
import { meteredChunks } from './body-chunks.js';
import {
  S3_ALREADY_EXISTS_ERROR_CODES,
  S3_NOT_FOUND_ERROR_CODES,
  S3_UNSUPPORTED_ERROR_CODES,
  S3_WRITE_CONFLICT_ERROR_CODES,
  isS3Error,
  toStoreError,
} from './s3-errors.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3's limits: a PUT or CopyObject carries at most 5 GiB; a multipart upload has at most 10,000 parts of 5 MiB to 5 GiB. */
const MAX_SINGLE_OBJECT = 5 * GiB;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * GiB;
const MAX_PARTS = 10_000;
const CONTENT_TYPE = 'application/octet-stream';
const NEVER_ABORTED = new AbortController().signal;
/** The SDK's default logger sends a warning to the console for every failed streaming upload, which an aborted upload is. */
export const QUIET_SDK_LOGGER = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface S3Location {
  readonly bucket: string;
  /** No leading or trailing slash; empty for the bucket's root. */
  readonly prefix: string;
}

export interface S3BlobStoreOptions {
  /** A configured client, left open by close(); without one the store builds its own from the SDK's variables. */
  readonly client?: S3Client;
  /**
   * Blobs larger than this go up as a multipart upload that commit() completes (default 64 MiB, at most 5 GiB);
   * smaller ones go to a staging object that commit() copies, a copy kept short since commit runs in a transaction.
   */
  readonly multipartThreshold?: number;
  /** Bytes per part (default 8 MiB, at least 5 MiB), raised when a blob would need over 10,000 parts. Two parts are held in memory per upload. */
  readonly partSize?: number;
  /** Staging objects and multipart uploads older than this are a crashed instance's leftovers, removed by init() (default 24 h). */
  readonly staleUploadAgeMs?: number;
}

/** Parses `s3://bucket/optional/prefix`. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/?#]+)(?:\/([^?#]*))?$/.exec(url);
  if (!match) throw new Error(`The blob store URL ${JSON.stringify(url)} is not of the form s3://bucket/prefix.`);
  const bucket = match[1];
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error(`The bucket name ${JSON.stringify(bucket)} is not valid: use 3 to 63 lowercase letters, digits, dots and hyphens.`);
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && prefix.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new Error(`The prefix ${JSON.stringify(prefix)} has an empty, "." or ".." segment.`);
  }
  return { bucket, prefix };
}

/** Client settings from the SDK's own variables; credentials are left to the SDK's default chain. */
export function s3ClientConfigFromEnv(env: Readonly<Record<string, string | undefined>>): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint === undefined) return {};
  return {
    endpoint,
    // R2, MinIO and s3rver serve buckets by path; R2's one region is "auto".
    forcePathStyle: true,
    region: env.AWS_REGION || 'auto',
    // Not every S3-compatible store takes the SDK's default CRC32 trailers; our uploads send SHA-256 themselves.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

export function createS3BlobStore(url: string, options: S3BlobStoreOptions = {}): S3BlobStore {
  return new S3BlobStore(parseS3Url(url), options);
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly bucket: string;
  /** `<prefix>/`, or empty at the bucket's root. */
  private readonly keyPrefix: string;
  private readonly stagingPrefix: string;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly staleUploadAgeMs: number;
  private readonly commitsInFlight = new Map<string, Promise<unknown>>();

  constructor(location: S3Location, options: S3BlobStoreOptions = {}) {
    this.client = options.client ?? new S3Client({ ...s3ClientConfigFromEnv(process.env), logger: QUIET_SDK_LOGGER });
    this.ownsClient = options.client === undefined;
    this.bucket = location.bucket;
    this.keyPrefix = location.prefix === '' ? '' : `${location.prefix}/`;
    this.stagingPrefix = `${this.keyPrefix}.staging/`;
    this.multipartThreshold = checkedSize('multipartThreshold', options.multipartThreshold ?? 64 * MiB, 0, MAX_SINGLE_OBJECT);
    this.partSize = checkedSize('partSize', options.partSize ?? 8 * MiB, MIN_PART_SIZE, MAX_PART_SIZE);
    this.staleUploadAgeMs = checkedSize('staleUploadAgeMs', options.staleUploadAgeMs ?? 24 * 3600 * 1000, 0, Number.MAX_SAFE_INTEGER);
  }

  async init(): Promise<void> {
    await this.checkReady();
    const cutoff = Date.now() - this.staleUploadAgeMs;
    await this.removeStaleStagingObjects(cutoff);
    await this.abortStaleUploads(cutoff);
  }

  /**
   * Stages for the blob's content key, blobKey(sha256), and commit() accepts only that key: S3 fixes a
   * multipart upload's key when it starts, and a blob already there is verified but not uploaded again.
   */
  stage(body: AsyncIterable<Buffer>, expected: ExpectedBlob, options: PutOptions = {}): Promise<StagedBlob> {
    return this.stageFor(blobKey(expected.sha256), body, expected, options.signal);
  }

  async put(key: string, body: AsyncIterable<Buffer>, expected: ExpectedBlob, options: PutOptions = {}): Promise<{ created: boolean }> {
    const staged = await this.stageFor(key, body, expected, options.signal);
    try {
      return await staged.commit(key);
    } finally {
      await staged.discard();
    }
  }

  async stat(key: string): Promise<BlobStat | null> {
    const head = await this.head(this.objectKey(key));
    return head === null ? null : { size: head.ContentLength ?? 0 };
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    if (range !== undefined && !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.start <= range.end)) {
      throw new AppError('range_not_satisfiable');
    }
    let output;
    try {
      output = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Range: range && `bytes=${range.start}-${range.end}` }),
      );
    } catch (err) {
      if (isS3Error(err, S3_NOT_FOUND_ERROR_CODES)) throw new AppError('blob_not_found', undefined, { cause: err });
      throw toStoreError(err);
    }
    const body = output.Body;
    if (!(body instanceof Readable)) throw new AppError('storage_unavailable', 'The blob store answered without a body.');
    return range === undefined ? body : exactly(body, range, output.ContentRange, output.ContentLength);
  }

  async delete(key: string): Promise<void> {
    await attempt(this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })));
  }

  async *list(): AsyncIterable<ListedBlob> {
    for await (const object of this.listObjects(this.keyPrefix)) {
      const key = object.Key?.slice(this.keyPrefix.length);
      // Staging objects and anything else sharing the prefix are not blobs.
      if (key === undefined || sha256OfKey(key) === null) continue;
      yield { key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
    }
  }

  async checkReady(): Promise<void> {
    await attempt(this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private objectKey(key: string): string {
    return this.keyPrefix + key;
  }

  private async stageFor(homeKey: string, body: AsyncIterable<Buffer>, expected: ExpectedBlob, signal?: AbortSignal): Promise<StagedBlob> {
    signal?.throwIfAborted();
    const verifier = new BlobVerifier(expected);
    // An object already there spares the upload; the body is still read and verified.
    if ((await this.head(this.objectKey(homeKey), signal)) !== null) {
      for await (const _chunk of meteredChunks(body, verifier, signal ?? NEVER_ABORTED)) {
        // counted and hashed only
      }
      verifier.verify();
      return this.stagedPresent(homeKey);
    }
    return expected.size > this.multipartThreshold
      ? this.stageMultipart(homeKey, body, verifier, signal)
      : this.stageObject(body, verifier, signal);
  }

  private stagedPresent(homeKey: string): StagedBlob {
    return {
      commit: async (key) => {
        requireHomeKey(key, homeKey);
        if ((await this.head(this.objectKey(key))) === null) {
          throw new AppError('storage_unavailable', 'The blob was removed from the store during the upload; retry.');
        }
        return { created: false };
      },
      discard: async () => undefined,
    };
  }

  /** Small blobs: a checksummed PUT to a staging object, verified here too (s3rver checks no checksum). */
  private async stageObject(body: AsyncIterable<Buffer>, verifier: BlobVerifier, signal?: AbortSignal): Promise<StagedBlob> {
    const stagingKey = `${this.stagingPrefix}${randomUUID()}/${verifier.expected.sha256}`;
    try {
      await this.putStagingObject(stagingKey, body, verifier, signal);
      verifier.verify();
      signal?.throwIfAborted();
    } catch (err) {
      await this.deleteQuietly(stagingKey);
      throw err;
    }
    return {
      commit: (key) => {
        const objectKey = this.objectKey(key);
        return this.oneCommitAtATime(objectKey, async () => {
          // Checked first as well: some stores (s3rver) ignore If-None-Match and would rewrite the object.
          if ((await this.head(objectKey)) !== null) return { created: false };
          return { created: await this.copyIntoPlace(stagingKey, objectKey) };
        });
      },
      discard: () => this.deleteQuietly(stagingKey),
    };
  }

  private async putStagingObject(stagingKey: string, body: AsyncIterable<Buffer>, verifier: BlobVerifier, signal?: AbortSignal): Promise<void> {
    // The SDK pipes the body without watching it: a body that fails must abort the request itself.
    const request = linkedController(signal);
    let bodyError: unknown;
    const content = Readable.from(meteredChunks(body, verifier, request.signal), { objectMode: false });
    content.on('error', (err) => {
      bodyError ??= err;
      request.abort(err);
    });
    const { sha256, size } = verifier.expected;
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
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
      if (request.signal.aborted) throw request.signal.reason;
      // A store that checks ChecksumSHA256 refuses a wrong digest: blame the body when it is at fault.
      if (verifier.bytesReceived === size) verifier.verify();
      throw toStoreError(err);
    } finally {
      request.abort();
    }
  }

  /** If-None-Match makes the copy exact under races where the store supports it; elsewhere it rewrites the same bytes. */
  private async copyIntoPlace(stagingKey: string, objectKey: string): Promise<boolean> {
    try {
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: objectKey, CopySource: copySource(this.bucket, stagingKey), IfNoneMatch: '*' }),
      );
      return true;
    } catch (err) {
      if (await this.lostToExistingObject(err, objectKey)) return false;
      throw toStoreError(err);
    }
  }

  /** Large blobs: parts checksummed one by one; nothing is visible until commit() completes the upload. */
  private async stageMultipart(homeKey: string, body: AsyncIterable<Buffer>, verifier: BlobVerifier, signal?: AbortSignal): Promise<StagedBlob> {
    const objectKey = this.objectKey(homeKey);
    const created = await attempt(
      this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, ContentType: CONTENT_TYPE, ChecksumAlgorithm: 'SHA256' }),
        { abortSignal: signal },
      ),
      signal,
    );
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new AppError('storage_unavailable', 'The blob store started a multipart upload without an id.');
    let parts: CompletedPart[];
    try {
      parts = await this.uploadParts(objectKey, uploadId, body, verifier, signal);
      verifier.verify();
      signal?.throwIfAborted();
    } catch (err) {
      await this.abortUploadQuietly(objectKey, uploadId);
      throw err;
    }
    let completed = false;
    return {
      commit: (key) => {
        requireHomeKey(key, homeKey);
        return this.oneCommitAtATime(objectKey, async () => {
          if ((await this.head(objectKey)) !== null) return { created: false };
          completed = await this.completeUpload(objectKey, uploadId, parts);
          return { created: completed };
        });
      },
      discard: async () => {
        if (!completed) await this.abortUploadQuietly(objectKey, uploadId);
      },
    };
  }

  private async uploadParts(objectKey: string, uploadId: string, body: AsyncIterable<Buffer>, verifier: BlobVerifier, signal?: AbortSignal): Promise<CompletedPart[]> {
    // A failed part must also end the wait on a slow body.
    const work = linkedController(signal);
    const parts: CompletedPart[] = [];
    let inFlight: Promise<CompletedPart> | undefined;
    try {
      const partSize = Math.max(this.partSize, Math.ceil(verifier.expected.size / MAX_PARTS / MiB) * MiB);
      for await (const bytes of partsOf(meteredChunks(body, verifier, work.signal), partSize)) {
        // One part uploads while the next fills.
        if (inFlight) parts.push(await inFlight);
        inFlight = this.uploadPart(objectKey, uploadId, parts.length + 1, bytes, work.signal);
        inFlight.catch((err: unknown) => work.abort(err));
      }
      if (inFlight) parts.push(await inFlight);
      return parts;
    } finally {
      work.abort();
    }
  }

  private async uploadPart(objectKey: string, uploadId: string, partNumber: number, bytes: Buffer, signal: AbortSignal): Promise<CompletedPart> {
    const checksum = createHash('sha256').update(bytes).digest('base64');
    const { ETag } = await attempt(
      this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
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

  private async completeUpload(objectKey: string, uploadId: string, parts: CompletedPart[]): Promise<boolean> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: objectKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (err) {
      if (await this.lostToExistingObject(err, objectKey)) return false;
      throw toStoreError(err);
    }
  }

  /** A conditional write failed because the object exists, or because a concurrent write of it won. */
  /**
   * Concurrent commits of one key in this process go one after another: the later ones then find the
   * object and skip the copy. Stores that write objects non-atomically (s3rver) fail a copy that races
   * another copy to the same key; across instances, S3 and R2 keep the last complete copy.
   */
  private oneCommitAtATime<T>(objectKey: string, commit: () => Promise<T>): Promise<T> {
    const previous = this.commitsInFlight.get(objectKey) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(commit);
    const settled = next.catch(() => undefined);
    this.commitsInFlight.set(objectKey, settled);
    void settled.then(() => {
      if (this.commitsInFlight.get(objectKey) === settled) this.commitsInFlight.delete(objectKey);
    });
    return next;
  }

  private async lostToExistingObject(err: unknown, objectKey: string): Promise<boolean> {
    if (isS3Error(err, S3_ALREADY_EXISTS_ERROR_CODES)) return true;
    return isS3Error(err, S3_WRITE_CONFLICT_ERROR_CODES) && (await this.head(objectKey)) !== null;
  }

  private async head(objectKey: string, signal?: AbortSignal): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }), { abortSignal: signal });
    } catch (err) {
      if (isS3Error(err, S3_NOT_FOUND_ERROR_CODES)) return null;
      throw failure(err, signal);
    }
  }

  /** Temporaries are best-effort cleanup: init() removes what a failure here leaves. */
  private async deleteQuietly(objectKey: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey })).catch(() => undefined);
  }

  /** s3rver has no AbortMultipartUpload; S3 and R2 also expire abandoned uploads by lifecycle rule. */
  private async abortUploadQuietly(objectKey: string, uploadId: string): Promise<void> {
    await this.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }))
      .catch(() => undefined);
  }

  private async *listObjects(prefix: string): AsyncGenerator<_Object> {
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: prefix })) {
        yield* page.Contents ?? [];
      }
    } catch (err) {
      throw toStoreError(err);
    }
  }

  /** Younger staging objects may belong to another instance's upload in progress. */
  private async removeStaleStagingObjects(cutoff: number): Promise<void> {
    for await (const object of this.listObjects(this.stagingPrefix)) {
      if (object.Key !== undefined && (object.LastModified?.getTime() ?? 0) < cutoff) {
        await attempt(this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: object.Key })));
      }
    }
  }

  private async abortStaleUploads(cutoff: number): Promise<void> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.keyPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
      } catch (err) {
        if (isS3Error(err, S3_UNSUPPORTED_ERROR_CODES)) return;
        throw toStoreError(err);
      }
      for (const { Key: key, UploadId: uploadId, Initiated: initiated } of page.Uploads ?? []) {
        const isOurs = key !== undefined && sha256OfKey(key.slice(this.keyPrefix.length)) !== null;
        if (isOurs && uploadId !== undefined && (initiated?.getTime() ?? 0) < cutoff) {
          await this.abortUploadQuietly(key, uploadId);
        }
      }
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
}

/** The caller's abort wins over the error it caused; every other failure is mapped in s3-errors.ts. */
function failure(err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  return toStoreError(err);
}

async function attempt<T>(operation: Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await operation;
  } catch (err) {
    throw failure(err, signal);
  }
}

function linkedController(signal?: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true, signal: controller.signal });
  return controller;
}

function requireHomeKey(key: string, homeKey: string): void {
  if (key !== homeKey) throw new Error(`This blob was staged for ${homeKey} and cannot be committed to ${key}.`);
}

function copySource(bucket: string, objectKey: string): string {
  return [bucket, ...objectKey.split('/')].map(encodeURIComponent).join('/');
}

function checkedSize(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`The S3 blob store's ${name} must be an integer from ${min} to ${max}; it is ${value}.`);
  }
  return value;
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

/** Trims a ranged answer to the bytes asked for: some S3-compatible servers send more (s3rver answers bytes=0-0 with the whole object). */
function exactly(body: Readable, range: ByteRange, contentRange: string | undefined, contentLength: number | undefined): Readable {
  const wanted = range.end - range.start + 1;
  const servedFrom = contentRange === undefined ? 0 : Number(/^bytes (\d+)-/.exec(contentRange)?.[1] ?? 0);
  if (servedFrom === range.start && (contentLength === undefined || contentLength <= wanted)) return body;
  if (servedFrom > range.start) {
    body.destroy();
    throw new AppError('storage_unavailable', 'The blob store answered a range with the wrong bytes.');
  }
  async function* trimmed(): AsyncGenerator<Buffer> {
    let skip = range.start - servedFrom;
    let left = wanted;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const start = Math.min(skip, chunk.length);
      skip -= start;
      const piece = chunk.subarray(start, start + left);
      left -= piece.length;
      if (piece.length > 0) yield piece;
      if (left === 0) return;
    }
  }
  return Readable.from(trimmed(), { objectMode: false });
}
