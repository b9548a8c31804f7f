// The blob-store conformance suite on the filesystem driver (the embedded default), hashing inline and, the
// design kept for A/B measurements, on worker threads.
import fs from 'node:fs/promises';
import { FsBlobStore } from '../../src/storage/blob/fs-blob-store.js';
import { makeTempDir } from '../support/server.js';
import { describeBlobStore } from './blob-store.suite.js';

describeBlobStore('fs', async () => {
  const dir = await makeTempDir('presscloud-fs-store-');
  return { store: new FsBlobStore(dir), cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});

describeBlobStore('fs (hash workers)', async () => {
  const dir = await makeTempDir('presscloud-fs-store-');
  return { store: new FsBlobStore(dir, { hashWorkers: 2 }), cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});
