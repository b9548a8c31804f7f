// The store's bucket and prefix, with the few calls every piece of the S3 store makes: HEAD, quiet
// deletes, listings, and commits of one key taken one at a time.
import { DeleteObjectCommand, HeadObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { _Object, HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import {
  isS3Error,
  S3_ALREADY_EXISTS_ERROR_CODES,
  S3_NOT_FOUND_ERROR_CODES,
  S3_WRITE_CONFLICT_ERROR_CODES,
  toStoreError,
} from './errors.js';

export const CONTENT_TYPE = 'application/octet-stream';

export class S3Bucket {
  /** `<prefix>/`, or empty at the bucket's root. */
  readonly keyPrefix: string;
  /** Where small blobs wait between their verified upload and their commit. */
  readonly stagingPrefix: string;
  private readonly commitsInFlight = new Map<string, Promise<unknown>>();

  constructor(
    readonly client: S3Client,
    readonly name: string,
    prefix: string,
  ) {
    this.keyPrefix = prefix === '' ? '' : `${prefix}/`;
    this.stagingPrefix = `${this.keyPrefix}.staging/`;
  }

  /** The bucket key of a blob key (the API's r2Key, relative to the prefix). */
  objectKey(key: string): string {
    return this.keyPrefix + key;
  }

  async head(objectKey: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: objectKey }));
    } catch (err) {
      if (isS3Error(err, S3_NOT_FOUND_ERROR_CODES)) return null;
      throw toStoreError(err);
    }
  }

  /** Temporaries are best-effort cleanup: init() removes what a failure here leaves. */
  async deleteQuietly(objectKey: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: objectKey })).catch(() => undefined);
  }

  async *listObjects(prefix: string): AsyncGenerator<_Object> {
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.name, Prefix: prefix })) {
        yield* page.Contents ?? [];
      }
    } catch (err) {
      throw toStoreError(err);
    }
  }

  /**
   * Concurrent commits of one key in this process go one after another: the later ones then find the
   * object and skip the copy. Stores that write objects non-atomically (s3rver) fail a copy that races
   * another copy to the same key; across instances, S3 and R2 keep the last complete copy.
   */
  oneCommitAtATime<T>(objectKey: string, commit: () => Promise<T>): Promise<T> {
    const previous = this.commitsInFlight.get(objectKey) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(commit);
    const settled = next.catch(() => undefined);
    this.commitsInFlight.set(objectKey, settled);
    void settled.then(() => {
      if (this.commitsInFlight.get(objectKey) === settled) this.commitsInFlight.delete(objectKey);
    });
    return next;
  }

  /** A conditional write failed because the object exists, or because a concurrent write of it won. */
  async lostToExistingObject(err: unknown, objectKey: string): Promise<boolean> {
    if (isS3Error(err, S3_ALREADY_EXISTS_ERROR_CODES)) return true;
    return isS3Error(err, S3_WRITE_CONFLICT_ERROR_CODES) && (await this.head(objectKey)) !== null;
  }
}
