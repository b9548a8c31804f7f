// The metadata conformance suite on SQLite, over a fresh data directory per test.
import fs from 'node:fs/promises';
import { openMetadataStore } from '../../src/runtime.js';
import { makeTempDir } from '../support/server.js';
import { describeMetadataStore } from './metadata-store.suite.js';
import { describeResumableUploadStore } from './resumable-upload-store.suite.js';
import { describeSmallBlobs } from './small-blobs.suite.js';

async function makeSqliteStore() {
  const dataDir = await makeTempDir('presscloud-metadata-');
  const store = await openMetadataStore({ dataDir, databaseUrl: undefined });
  return {
    store,
    async cleanup() {
      await store.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

describeMetadataStore('sqlite', makeSqliteStore);
describeSmallBlobs('sqlite', makeSqliteStore, true);
describeResumableUploadStore('sqlite', makeSqliteStore);
