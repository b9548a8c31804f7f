// A Web Worker hashing files with a streaming SHA-256 (hash-wasm): a slice at a time, so a large file is never
// in memory whole, and off the page's thread, so the page stays responsive. It needs no secure context.
import { createSHA256 } from 'hash-wasm';
import type { IHasher } from 'hash-wasm';
import type { HashReply, HashRequest } from './hash-messages.js';

/** Read and hashed at a time: big enough to keep the wasm busy, small enough to report progress often. */
const SLICE_BYTES = 4 << 20;

// Typed by hand: this project's page is compiled with the DOM library, not the worker one.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null;
  postMessage(message: HashReply): void;
};

let hasher: Promise<IHasher> | undefined;
// One file at a time per worker: the page sends the next only once this one is answered.
scope.onmessage = (event) => {
  void hashFile(event.data);
};

async function hashFile({ id, file }: HashRequest): Promise<void> {
  try {
    hasher ??= createSHA256();
    const sha256 = await hasher;
    sha256.init();
    let size = 0;
    for (let offset = 0; offset < file.size; offset += SLICE_BYTES) {
      const slice = new Uint8Array(await file.slice(offset, offset + SLICE_BYTES).arrayBuffer());
      sha256.update(slice);
      size += slice.byteLength;
      scope.postMessage({ id, type: 'progress', bytes: slice.byteLength });
    }
    scope.postMessage({ id, type: 'done', sha256: sha256.digest('hex'), size });
  } catch (err) {
    scope.postMessage({ id, type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}
