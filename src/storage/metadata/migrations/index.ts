// Every migration, in order; Kysely's Migrator runs the new ones at start, under its lock.
import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { collectionEpoch } from './0002-collection-epoch.js';
import { sessionFinishedAt } from './0003-session-finished-at.js';
import { manifestList } from './0004-manifest-list.js';
import { smallBlobs } from './0005-small-blobs.js';
import { aliases } from './0006-aliases.js';
import { tusUploads } from './0007-tus-uploads.js';
import { manifestLabel } from './0008-manifest-label.js';
import { fileModes } from './0009-file-modes.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-collection-epoch': collectionEpoch,
  '0003-session-finished-at': sessionFinishedAt,
  '0004-manifest-list': manifestList,
  '0005-small-blobs': smallBlobs,
  '0006-aliases': aliases,
  '0007-tus-uploads': tusUploads,
  '0008-manifest-label': manifestLabel,
  '0009-file-modes': fileModes,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};
