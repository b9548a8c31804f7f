// A file whose size is no longer the one hashed: no retry can send the bytes the manifest names.
import { stat } from 'node:fs/promises';
import type { LocalBlob } from './local-manifest.js';

export class FileChangedError extends Error {
  constructor(readonly blob: LocalBlob) {
    super(`${blob.path} changed while it was being pushed; push again`);
    this.name = 'FileChangedError';
  }
}

/** Throws a FileChangedError when the file is gone or its size differs from the manifest's. */
export async function assertUnchanged(blob: LocalBlob): Promise<void> {
  const size = await stat(blob.absolutePath).then(
    (stats) => stats.size,
    () => undefined,
  );
  if (size !== blob.size) throw new FileChangedError(blob);
}
