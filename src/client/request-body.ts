// Request bodies of blob uploads: opened when the request goes out, and counted as they leave for the server.
import { Transform, pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import type { BlobBody } from './client.js';

export function openBody(body: BlobBody): Buffer | Uint8Array | Readable {
  return typeof body === 'function' ? body() : body;
}

export function countBytes(source: Readable, onProgress: (bytes: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onProgress(chunk.byteLength);
      callback(null, chunk);
    },
  });
  // pipeline (not pipe) so destroying the counter also closes the source's file handle.
  return pipeline(source, counter, () => {});
}
