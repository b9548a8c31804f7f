// Verifies a blob's bytes as they stream: counts and hashes every chunk, and refuses to go past the
// expected size, so a store can commit the bytes only once verify() has passed.
import { createHash, type Hash } from 'node:crypto';
import { AppError } from './errors.js';

export interface ExpectedBlob {
  /** Lowercase hex sha256. */
  readonly sha256: string;
  readonly size: number;
}

export class BlobVerifier {
  private readonly hash: Hash = createHash('sha256');
  private received = 0;

  constructor(readonly expected: ExpectedBlob) {}

  get bytesReceived(): number {
    return this.received;
  }

  /** Feeds a chunk; throws size_mismatch as soon as the body runs past the expected size. */
  update(chunk: Buffer): void {
    this.count(chunk.length);
    this.hash.update(chunk);
  }

  /** Counts bytes hashed elsewhere (a store that hashes off the event loop); same size check as update(). */
  count(length: number): void {
    this.received += length;
    if (this.received > this.expected.size) {
      throw new AppError('size_mismatch', `The body is longer than the manifest's size of ${this.expected.size} bytes.`);
    }
  }

  /** Throws size_mismatch or digest_mismatch unless every expected byte arrived and they hash right. */
  verify(): void {
    this.checkSize();
    this.checkDigest(this.hash.digest('hex'));
  }

  /** verify() for bytes fed through count(): `actual` is their lowercase hex sha256, computed elsewhere. */
  verifyDigest(actual: string): void {
    this.checkSize();
    this.checkDigest(actual);
  }

  private checkSize(): void {
    if (this.received !== this.expected.size) {
      throw new AppError('size_mismatch', `The body has ${this.received} bytes; the manifest's size is ${this.expected.size}.`);
    }
  }

  private checkDigest(actual: string): void {
    if (actual !== this.expected.sha256) {
      throw new AppError('digest_mismatch', `The bytes hash to ${actual}, not to the sha256 in the path.`);
    }
  }
}

/** Reads a whole body through a verifier without keeping it: a PUT of a blob the tenant already holds. */
export async function verifyWithoutStoring(body: AsyncIterable<Buffer>, expected: ExpectedBlob): Promise<void> {
  const verifier = new BlobVerifier(expected);
  for await (const chunk of body) verifier.update(chunk);
  verifier.verify();
}

/** Reads a whole body into memory through a verifier: a small blob, kept with its rows once verified. */
export async function readVerified(body: AsyncIterable<Buffer>, expected: ExpectedBlob): Promise<Buffer> {
  const verifier = new BlobVerifier(expected);
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    verifier.update(chunk);
    chunks.push(chunk);
  }
  verifier.verify();
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, expected.size);
}
