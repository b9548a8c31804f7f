// The sha256 and length of a file's bytes, read as a stream; an aborted `signal` (Ctrl-C) stops the read.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function hashFile(
  absolutePath: string,
  onBytes?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(absolutePath, { highWaterMark: 1 << 20, signal })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.byteLength;
    onBytes?.(bytes.byteLength);
  }
  return { sha256: hash.digest('hex'), size };
}
