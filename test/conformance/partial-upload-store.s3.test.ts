// The partial-store conformance suite on S3 (s3rver on loopback): multipart uploads to the final key, with
// the tail below a part handed back to be kept with the offset.
import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { QUIET_SDK_LOGGER, s3ClientConfigFromEnv } from '../../src/storage/blob/s3/config.js';
import { S3BlobStore } from '../../src/storage/blob/s3/s3-blob-store.js';
import { type RunningS3rver, startS3rver } from '../support/s3rver.js';
import { describePartialUploadStore } from './partial-upload-store.suite.js';

let s3rver: RunningS3rver;
let client: S3Client;

beforeAll(async () => {
  s3rver = await startS3rver();
  client = new S3Client({
    ...s3ClientConfigFromEnv({ AWS_ENDPOINT_URL_S3: s3rver.endpoint, AWS_REGION: s3rver.region }),
    credentials: s3rver.credentials,
    logger: QUIET_SDK_LOGGER,
  });
});

afterAll(async () => {
  client?.destroy();
  await s3rver?.stop();
});

describePartialUploadStore('s3', async () => {
  const blobs = new S3BlobStore({ bucket: s3rver.bucket, prefix: `partials-${randomUUID()}` }, { client, partSize: 5 * 1024 * 1024 });
  return { blobs, partials: blobs.partialUploads(), cleanup: async () => undefined };
});
