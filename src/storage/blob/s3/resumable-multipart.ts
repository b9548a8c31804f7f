// Resumable uploads on S3: one multipart upload to the blob's final key per tus upload. PATCHes of any
// size are gathered into parts of at least 5 MiB; what is not yet a part (the tail) is handed back to be
// kept with the offset in the metadata store, so any instance can continue the upload. Nothing is visible
// at the key until commit() completes the upload, after the domain has verified the whole blob.
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AppError } from '../../../domain/errors.js';
import type { StagedBlob } from '../../../domain/ports/blob-store.js';
import type { PartialCheckpoint, PartialUpload, PartialUploadStore, PartialWriter } from '../../../domain/ports/resumable-uploads.js';
import { CONTENT_TYPE, type S3Bucket } from './bucket.js';
import { MAX_PARTS, MiB } from './config.js';
import { attempt, toStoreError } from './errors.js';

/** S3's smallest part but the last: a PATCH's leftover below it stays in the tail. */
const MIN_PART_SIZE = 5 * MiB;

interface UploadedPart {
  readonly PartNumber: number;
  readonly ETag: string | undefined;
  readonly ChecksumSHA256: string;
}

interface MultipartState {
  readonly uploadId: string;
  readonly parts: UploadedPart[];
}

export class S3PartialUploads implements PartialUploadStore {
  constructor(
    private readonly bucket: S3Bucket,
    /** Bytes gathered before a part goes up (raised when a blob would need over 10,000 parts); one is held in memory per PATCH. */
    private readonly partSize: number,
  ) {}

  async create(_uploadId: string, key: string): Promise<string> {
    const created = await attempt(
      this.bucket.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket.name,
          Key: this.bucket.objectKey(key),
          ContentType: CONTENT_TYPE,
          ChecksumAlgorithm: 'SHA256',
        }),
      ),
    );
    if (created.UploadId === undefined)
      throw new AppError('storage_unavailable', 'The blob store started a multipart upload without an id.');
    return JSON.stringify({ uploadId: created.UploadId, parts: [] } satisfies MultipartState);
  }

  async openWriter(upload: PartialUpload): Promise<PartialWriter> {
    const state = stateOf(upload);
    const objectKey = this.bucket.objectKey(upload.key);
    const partSize = Math.max(this.partSize, Math.ceil(upload.length / MAX_PARTS / MiB) * MiB);
    let pending: Buffer[] = upload.tail && upload.tail.length > 0 ? [Buffer.from(upload.tail)] : [];
    let pendingBytes = pending[0]?.length ?? 0;
    const parts = [...state.parts];
    const checkpoint = (tail: Buffer | null): PartialCheckpoint => ({
      storeState: JSON.stringify({ uploadId: state.uploadId, parts } satisfies MultipartState),
      tail,
    });
    const sendPending = async () => {
      const bytes = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      parts.push(await this.uploadPart(objectKey, state.uploadId, parts.length + 1, bytes));
    };
    return {
      write: async (chunk) => {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes < partSize) return undefined;
        await sendPending();
        return checkpoint(null);
      },
      flush: async () => {
        if (pendingBytes >= MIN_PART_SIZE) await sendPending();
        return checkpoint(pendingBytes > 0 ? Buffer.concat(pending, pendingBytes) : null);
      },
      finish: async (): Promise<StagedBlob> => {
        if (pendingBytes > 0 || parts.length === 0) await sendPending();
        return this.staged(objectKey, state.uploadId, parts);
      },
      // Parts sent since the last kept checkpoint are not in its list: the next writer sends those numbers again.
      abandon: async () => {
        pending = [];
        pendingBytes = 0;
      },
    };
  }

  async drop(upload: PartialUpload): Promise<void> {
    if (upload.storeState === null) return;
    await this.abortQuietly(this.bucket.objectKey(upload.key), stateOf(upload).uploadId);
  }

  private staged(objectKey: string, uploadId: string, parts: readonly UploadedPart[]): StagedBlob {
    let completed = false;
    return {
      commit: () =>
        this.bucket.oneCommitAtATime(objectKey, async () => {
          if ((await this.bucket.head(objectKey)) !== null) return { created: false };
          try {
            await this.bucket.client.send(
              new CompleteMultipartUploadCommand({
                Bucket: this.bucket.name,
                Key: objectKey,
                UploadId: uploadId,
                MultipartUpload: { Parts: [...parts] },
                IfNoneMatch: '*',
              }),
            );
            completed = true;
            return { created: true };
          } catch (err) {
            if (await this.bucket.lostToExistingObject(err, objectKey)) return { created: false };
            throw toStoreError(err);
          }
        }),
      discard: async () => {
        if (!completed) await this.abortQuietly(objectKey, uploadId);
      },
    };
  }

  private async uploadPart(objectKey: string, uploadId: string, partNumber: number, bytes: Buffer): Promise<UploadedPart> {
    const checksum = createHash('sha256').update(bytes).digest('base64');
    const { ETag } = await attempt(
      this.bucket.client.send(
        new UploadPartCommand({
          Bucket: this.bucket.name,
          Key: objectKey,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: bytes,
          ContentLength: bytes.length,
          ChecksumSHA256: checksum,
        }),
      ),
    );
    return { PartNumber: partNumber, ETag, ChecksumSHA256: checksum };
  }

  /** s3rver has no AbortMultipartUpload; S3 and R2 also expire abandoned uploads by lifecycle rule. */
  private async abortQuietly(objectKey: string, uploadId: string): Promise<void> {
    await this.bucket.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket.name, Key: objectKey, UploadId: uploadId }))
      .catch(() => undefined);
  }
}

function stateOf(upload: PartialUpload): MultipartState {
  if (upload.storeState === null) throw new AppError('storage_unavailable', `The upload ${upload.id} has no multipart upload.`);
  return JSON.parse(upload.storeState) as MultipartState;
}
