// The upload core's public surface: one algorithm for the CLI, the page and SDK users (README "Layout").
export type { BodyOptions, SessionCredentials, UploadApi, UploadBlob, UploadCallOptions } from './api.js';
export { blobSource } from './blob-source.js';
export { DEFAULT_UPLOAD_CONCURRENCY } from './context.js';
export type { ResumableUploader, UploadEvents, UploadOptions } from './context.js';
export { BatchNotAcceptedError, BlobUploadFailedError, SessionKeepsExpiringError, UploadInterruptedError } from './errors.js';
export { fetchUploadApi } from './fetch-api.js';
export type { FetchApiOptions } from './fetch-api.js';
export { BATCH_MAX_BYTES, BATCH_MAX_PARTS, SMALL_BLOB_MAX_BYTES } from './plan.js';
export { DEFAULT_RETRY_WINDOW_MS, defaultRetryPolicy, isRetryable } from './retry.js';
export type { RetryNotice, RetryPolicy } from './retry.js';
export { bytesSource } from './source.js';
export type { ByteSource } from './source.js';
export { DEFAULT_STALL_TIMEOUT_MS } from './stall.js';
export { uploadManifest } from './upload.js';
export type { UploadResult } from './upload.js';
