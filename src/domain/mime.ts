// The mime a blob is reported and served with: declared, else by extension, else sniffed.
import mimeTypes from 'mime-types';

export function mimeForPath(filePath: string): string | null {
  return mimeTypes.lookup(filePath) || null;
}

const SIGNATURES: ReadonlyArray<{ bytes: readonly number[]; offset?: number; mime: string }> = [
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], mime: 'image/png' },
  { bytes: [0xff, 0xd8, 0xff], mime: 'image/jpeg' },
  { bytes: [0x47, 0x49, 0x46, 0x38], mime: 'image/gif' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], mime: 'application/pdf' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], mime: 'application/zip' },
  { bytes: [0x1f, 0x8b], mime: 'application/gzip' },
  { bytes: [0x00, 0x61, 0x73, 0x6d], mime: 'application/wasm' },
  { bytes: [0x77, 0x4f, 0x46, 0x32], mime: 'font/woff2' },
  { bytes: [0x77, 0x4f, 0x46, 0x46], mime: 'font/woff' },
  { bytes: [0x57, 0x45, 0x42, 0x50], offset: 8, mime: 'image/webp' },
];

/** Enough leading bytes for every signature above. */
export const SNIFF_BYTES = 16;

export function sniffMime(head: Uint8Array): string | null {
  for (const signature of SIGNATURES) {
    const offset = signature.offset ?? 0;
    if (head.length >= offset + signature.bytes.length && signature.bytes.every((b, i) => head[offset + i] === b)) {
      return signature.mime;
    }
  }
  return null;
}
