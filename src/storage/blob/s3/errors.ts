// The one place where S3, R2 and S3-compatible vendor errors become the store's application errors
// (after tus-node-server's S3_NOT_FOUND_ERROR_CODES).
import { S3ServiceException } from '@aws-sdk/client-s3';
import { AppError } from '../../../domain/errors.js';

/** The object is absent (HeadObject has no body, so the SDK names its 404 `NotFound`). */
export const S3_NOT_FOUND_ERROR_CODES: ReadonlySet<string> = new Set(['NoSuchKey', 'NotFound']);

/** A write with If-None-Match: * found the object already there. */
export const S3_ALREADY_EXISTS_ERROR_CODES: ReadonlySet<string> = new Set(['PreconditionFailed']);

/** A conditional write raced another write of the same key; whoever won decides. */
export const S3_WRITE_CONFLICT_ERROR_CODES: ReadonlySet<string> = new Set(['ConditionalRequestConflict']);

/** The store cannot hold the object. */
export const S3_NO_SPACE_ERROR_CODES: ReadonlySet<string> = new Set([
  'EntityTooLarge',
  'QuotaExceeded',
  'InsufficientStorage',
  'XMinioStorageFull',
  'XMinioAdminBucketQuotaExceeded',
]);

/** The store lacks the operation (s3rver has no ListMultipartUploads nor AbortMultipartUpload). */
export const S3_UNSUPPORTED_ERROR_CODES: ReadonlySet<string> = new Set(['NotImplemented', 'MethodNotAllowed']);

const S3_RANGE_ERROR_CODES: ReadonlySet<string> = new Set(['InvalidRange']);

/** The vendor's error code, or undefined for errors that never reached the store (DNS, refused, reset). */
export function s3ErrorCode(err: unknown): string | undefined {
  return err instanceof S3ServiceException ? err.name : undefined;
}

export function isS3Error(err: unknown, codes: ReadonlySet<string>): boolean {
  const code = s3ErrorCode(err);
  return code !== undefined && codes.has(code);
}

/** Anything else (network errors, 5xx, SlowDown, credentials, a missing bucket) means the store is unavailable. */
export function toStoreError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
  if (isS3Error(err, S3_NO_SPACE_ERROR_CODES) || status === 507) {
    return new AppError('insufficient_storage', undefined, { cause: err });
  }
  if (isS3Error(err, S3_RANGE_ERROR_CODES)) return new AppError('range_not_satisfiable', undefined, { cause: err });
  return new AppError('storage_unavailable', undefined, { cause: err });
}

/** Awaits one SDK call, mapping its failure; when `signal` aborted it, its reason (what caused the abort) wins. */
export async function attempt<T>(operation: Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await operation;
  } catch (err) {
    throw signal?.aborted ? signal.reason : toStoreError(err);
  }
}
