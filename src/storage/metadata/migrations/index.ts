// Every migration, in order; Kysely's Migrator runs the new ones at start, under its lock.
import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { manifestList } from './0002-manifest-list.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-manifest-list': manifestList,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return MIGRATIONS;
  },
};
