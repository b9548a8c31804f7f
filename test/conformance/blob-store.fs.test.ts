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

// Background fdatasyncs every MiB, so the bodies of a few MiB here start several while they are received.
describeBlobStore('fs (background syncs every MiB)', async () => {
  const dir = await makeTempDir('presscloud-fs-store-');
  return { store: new FsBlobStore(dir, { backgroundSyncBytes: 1024 * 1024 }), cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});
