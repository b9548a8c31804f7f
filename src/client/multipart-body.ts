// The batch upload's request body, streamed: each part's bytes are opened only when its turn comes, so a batch of
// files never sits in memory, and the Content-Length is known up front from the parts' sizes.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export interface OutgoingPart {
  /** 64 hex digits: the part's name. */
  readonly sha256: string;
  /** The bytes `open()` must yield, exactly. */
  readonly size: number;
  readonly open: () => Buffer | Uint8Array | Readable;
}

export interface OutgoingMultipart {
  readonly contentType: string;
  readonly contentLength: number;
  readonly body: Readable;
}

const SHA256 = /^[0-9a-fA-F]{64}$/;

export function multipartUpload(parts: readonly OutgoingPart[], onProgress?: (bytes: number) => void): OutgoingMultipart {
  for (const part of parts) {
    if (!SHA256.test(part.sha256)) throw new TypeError(`${JSON.stringify(part.sha256)} is not a sha256 (64 hexadecimal digits).`);
    if (!Number.isSafeInteger(part.size) || part.size < 0) throw new TypeError(`The size of ${part.sha256} is not a byte count.`);
  }
  const boundary = `presscloud-${randomBytes(16).toString('hex')}`;
  const heads = parts.map((part, index) =>
    Buffer.from(
      `${index === 0 ? '' : '\r\n'}--${boundary}\r\n` +
        `Content-Disposition: form-data; name="${part.sha256}"; filename="${part.sha256}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
  );
  const closing = Buffer.from(`${parts.length === 0 ? '' : '\r\n'}--${boundary}--\r\n`);
  const contentLength = heads.reduce((sum, head, index) => sum + head.length + parts[index].size, closing.length);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength,
    body: Readable.from(partsInTurn(parts, heads, closing, onProgress), { objectMode: false }),
  };
}

async function* partsInTurn(
  parts: readonly OutgoingPart[],
  heads: readonly Buffer[],
  closing: Buffer,
  onProgress?: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  for (const [index, part] of parts.entries()) {
    yield heads[index];
    const source = part.open();
    let sent = 0;
    try {
      for await (const chunk of source instanceof Readable ? source : [source]) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        sent += bytes.length;
        // A body that runs long or short would break the request's framing: fail it instead.
        if (sent > part.size) break;
        yield bytes;
        onProgress?.(bytes.length);
      }
    } finally {
      if (source instanceof Readable) source.destroy();
    }
    if (sent !== part.size)
      throw new Error(`The body of ${part.sha256} did not have the ${part.size} bytes announced (the file changed?).`);
  }
  yield closing;
}
