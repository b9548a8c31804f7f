// A web Blob (a browser File, or a Blob in Node) as the upload core's ByteSource: each read slices the Blob, so
// a retry reads only the range it needs; a File changed or removed since it was picked fails the read.
import type { ByteSource } from './source.js';

export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    async *read(start, end, signal) {
      if (start >= end) return;
      const reader = blob.slice(start, end).stream().getReader();
      try {
        for (;;) {
          signal?.throwIfAborted();
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
    },
  };
}
