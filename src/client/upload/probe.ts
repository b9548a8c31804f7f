// A source that changed or vanished fails each try the same way: checked before a try, and after a failed one.
import type { UploadBlob } from './api.js';

/** Reads one byte: a source that changed or vanished fails each try the same way, so it ends the retries. */
export async function assertReadable(blob: UploadBlob, signal: AbortSignal): Promise<void> {
  for await (const _chunk of blob.source.read(0, Math.min(1, blob.size), signal)) break;
}
