// Reading an object, whole or one inclusive byte range, with the range held to exactly the bytes asked
// for: some S3-compatible servers send more (s3rver answers bytes=0-0 with the whole object).
import { Readable } from 'node:stream';
import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { AppError } from '../../../domain/errors.js';
import type { ByteRange } from '../../../domain/ports/blob-store.js';
import type { S3Bucket } from './bucket.js';
import { isS3Error, S3_NOT_FOUND_ERROR_CODES, toStoreError } from './errors.js';

export async function readObject(bucket: S3Bucket, objectKey: string, range?: ByteRange): Promise<Readable> {
  if (
    range !== undefined &&
    !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.start <= range.end)
  ) {
    throw new AppError('range_not_satisfiable');
  }
  let output: GetObjectCommandOutput;
  try {
    output = await bucket.client.send(
      new GetObjectCommand({ Bucket: bucket.name, Key: objectKey, Range: range && `bytes=${range.start}-${range.end}` }),
    );
  } catch (err) {
    if (isS3Error(err, S3_NOT_FOUND_ERROR_CODES)) throw new AppError('blob_not_found', undefined, { cause: err });
    throw toStoreError(err);
  }
  const body = output.Body;
  if (!(body instanceof Readable)) throw new AppError('storage_unavailable', 'The blob store answered without a body.');
  return range === undefined ? body : exactly(body, range, output.ContentRange, output.ContentLength);
}

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
