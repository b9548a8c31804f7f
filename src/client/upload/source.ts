// The upload core's view of a file's bytes: a file on disk (the CLI), a browser File (the page), or bytes in
// memory (SDK users). Re-readable from any offset, so a retry or a resumed upload reads only what it needs.

/** Bytes of one blob, readable again from any offset. */
export interface ByteSource {
  /** The number of bytes the source holds. */
  readonly size: number;
  /**
   * The bytes from `start` (inclusive) to `end` (exclusive) as chunks, read lazily. Throws when the source
   * can no longer be read (the file was removed or changed size) or when `signal` aborts.
   */
  read(start: number, end: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/** A source over bytes already in memory. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    async *read(start, end) {
      if (start < end) yield bytes.subarray(start, end);
    },
  };
}
