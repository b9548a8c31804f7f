// The tus 1.0.0 request headers the domain reads: Upload-Length, Upload-Offset, Upload-Metadata and
// Upload-Checksum, each parsed into what it means or an AppError of API.md.
import { createHash, type Hash } from 'node:crypto';
import { isSha256 } from './blob-key.js';
import { AppError } from './errors.js';

export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = 'creation,creation-with-upload,termination,expiration,checksum';
export const TUS_CHECKSUM_ALGORITHMS = ['sha1', 'sha256'] as const;
export const OFFSET_OCTET_STREAM = 'application/offset+octet-stream';

/** A non-negative integer header (Upload-Length, Upload-Offset); invalid_request otherwise. */
export function byteCountHeader(name: string, value: string | undefined): number {
  if (value === undefined) throw new AppError('invalid_request', `The ${name} header is required.`);
  const count = /^\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(count)) throw new AppError('invalid_request', `${name} must be a non-negative integer.`);
  return count;
}

/** The lowercase sha256 of Upload-Metadata (`sha256 <base64 of the hex digest>`, other keys ignored). */
export function sha256OfMetadata(header: string | undefined): string {
  for (const pair of (header ?? '').split(',')) {
    const [key, value] = pair.trim().split(/\s+/);
    if (key !== 'sha256') continue;
    const hex = Buffer.from(value ?? '', 'base64').toString('utf8');
    if (isSha256(hex)) return hex.toLowerCase();
    break;
  }
  throw new AppError('invalid_sha256', "Upload-Metadata must carry sha256: the base64 of the blob's 64-hex-digit SHA-256.");
}

/** A PATCH's Upload-Checksum: the hash to feed its bytes to, and the digest they must reach. */
export interface PatchChecksum {
  readonly hash: Hash;
  readonly expected: string;
}

export function patchChecksumOf(header: string | undefined): PatchChecksum | undefined {
  if (header === undefined) return undefined;
  const [algorithm, digest] = header.trim().split(/\s+/);
  if (!(TUS_CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm ?? '')) throw new AppError('unsupported_checksum_algorithm');
  if (!digest) throw new AppError('invalid_request', 'Upload-Checksum is "<algorithm> <base64 digest>".');
  return { hash: createHash(algorithm), expected: Buffer.from(digest, 'base64').toString('base64') };
}

export function isOffsetOctetStream(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === OFFSET_OCTET_STREAM;
}
