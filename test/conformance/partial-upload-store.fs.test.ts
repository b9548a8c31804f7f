// The partial-store conformance suite on the embedded default: partial files in the data directory.
import fs from 'node:fs/promises';
import { FsBlobStore } from '../../src/storage/blob/fs-blob-store.js';
import { makeTempDir } from '../support/server.js';
import { describePartialUploadStore } from './partial-upload-store.suite.js';

describePartialUploadStore('fs', async () => {
  const dir = await makeTempDir('presscloud-partials-');
  const blobs = new FsBlobStore(dir);
  await blobs.init();
  return { blobs, partials: blobs.partialUploads(dir), cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});
