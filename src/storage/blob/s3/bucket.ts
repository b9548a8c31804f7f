// The store's bucket and prefix, with the few calls every piece of the S3 store makes: HEAD, listings,
// whether the store honours If-None-Match, and commits of one key taken one at a time.
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
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
  private readonly commitsInFlight = new Map<string, Promise<unknown>>();
  private conditional: Promise<boolean> | undefined;

  constructor(
    readonly client: S3Client,
    readonly name: string,
    prefix: string,
  ) {
    this.keyPrefix = prefix === '' ? '' : `${prefix}/`;
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

  /**
   * Whether a write with If-None-Match: * fails on an existing object here (S3, R2, MinIO do; s3rver ignores the
   * header and overwrites). Learnt once, by writing a probe object twice; where it holds, a write needs no HEAD
   * before it. A probe that cannot be made counts as "no" until asked again: a HEAD first is always correct.
   */
  writesAreConditional(): Promise<boolean> {
    this.conditional ??= this.probeConditionalWrites();
    return this.conditional;
  }

  private async probeConditionalWrites(): Promise<boolean> {
    const probeKey = `${this.keyPrefix}.presscloud-probe/${randomUUID()}`;
    const put = () => this.client.send(new PutObjectCommand({ Bucket: this.name, Key: probeKey, Body: '', IfNoneMatch: '*' }));
    try {
      await put();
      try {
        await put();
        return false;
      } catch (err) {
        if (isS3Error(err, S3_ALREADY_EXISTS_ERROR_CODES)) return true;
        throw err;
      }
    } catch {
      // The store could not be asked (an outage, a permission): HEAD first for now, and ask again next time.
      this.conditional = undefined;
      return false;
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: probeKey })).catch(() => undefined);
    }
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
   * object and skip the write. Stores that write objects non-atomically (s3rver) can fail a write that races
   * another write of the same key; across instances, If-None-Match decides where the store honours it.
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
