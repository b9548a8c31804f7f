// A file whose size is no longer the one hashed: no retry can send the bytes the manifest names.
import type { LocalBlob } from './local-manifest.js';

export class FileChangedError extends Error {
  constructor(readonly blob: Pick<LocalBlob, 'path'>) {
    super(`${blob.path} changed while it was being pushed; push again`);
    this.name = 'FileChangedError';
  }
}
