// Where an S3 blob store lives and how it talks: the s3:// URL, the SDK client's settings from the
// environment, and the store's size options checked against S3's limits.
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/** Longer than the longest session (7 days), whose resumable uploads are multipart uploads too. */
export const STALE_UPLOAD_AGE_MS = 8 * 24 * 3600 * 1000;

export const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3's limits: a PUT carries at most 5 GiB; a multipart upload has at most 10,000 parts of 5 MiB to 5 GiB. */
const MAX_SINGLE_OBJECT = 5 * GiB;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * GiB;
export const MAX_PARTS = 10_000;

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
   * Blobs up to this size are received into memory, verified, then sent in one PutObject (default 8 MiB, at most
   * 5 GiB); larger ones go up as a multipart upload to their final key, completed once verified.
   */
  readonly singlePutMaxBytes?: number;
  /** Bytes per part (default 8 MiB, at least 5 MiB), raised when a blob would need over 10,000 parts. */
  readonly partSize?: number;
  /** Parts of one upload being sent at once (default 4). */
  readonly partsInFlight?: number;
  /**
   * Part buffers the whole store may hold, filling or being sent, across all uploads (default 128 MiB): what
   * bounds memory under many concurrent large uploads. An upload waits for a buffer rather than allocate past it.
   */
  readonly partBufferBytes?: number;
  /**
   * Multipart uploads older than this are a crashed instance's leftovers, aborted by garbage collection. Default 8
   * days: a resumable (tus) upload is a multipart upload at its blob's key too, and lives as long as its session
   * (at most 7 days).
   */
  readonly staleUploadAgeMs?: number;
}

export interface S3Limits {
  readonly singlePutMaxBytes: number;
  readonly partSize: number;
  readonly partsInFlight: number;
  readonly partBufferBytes: number;
  readonly staleUploadAgeMs: number;
}

export function limitsOf(options: S3BlobStoreOptions): S3Limits {
  return {
    singlePutMaxBytes: checkedSize('singlePutMaxBytes', options.singlePutMaxBytes ?? 8 * MiB, 0, MAX_SINGLE_OBJECT),
    partSize: checkedSize('partSize', options.partSize ?? 8 * MiB, MIN_PART_SIZE, MAX_PART_SIZE),
    partsInFlight: checkedSize('partsInFlight', options.partsInFlight ?? 4, 1, 64),
    partBufferBytes: checkedSize('partBufferBytes', options.partBufferBytes ?? 128 * MiB, MIN_PART_SIZE, Number.MAX_SAFE_INTEGER),
    staleUploadAgeMs: checkedSize('staleUploadAgeMs', options.staleUploadAgeMs ?? STALE_UPLOAD_AGE_MS, 0, Number.MAX_SAFE_INTEGER),
  };
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

/**
 * The client's checksum settings wherever it talks: the store hashes every byte once, for its own verification,
 * and sends that SHA-256 itself where it has it (a single PUT); the SDK's default would add a CRC32 pass in
 * JavaScript over every part.
 */
export const CHECKSUMS_WHEN_REQUIRED = {
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const;

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
    ...CHECKSUMS_WHEN_REQUIRED,
  };
}

function checkedSize(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`The S3 blob store's ${name} must be an integer from ${min} to ${max}; it is ${value}.`);
  }
  return value;
}
