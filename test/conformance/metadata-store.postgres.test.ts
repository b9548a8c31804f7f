// The metadata conformance suite on PostgreSQL, in a fresh schema per test; and concurrent migrations.
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { openMetadataStore } from '../../src/runtime.js';
import { migrationProvider } from '../../src/storage/metadata/migrations/index.js';
import { createTestSchema, POSTGRES_URL } from '../support/postgres.js';
import { describeMetadataStore } from './metadata-store.suite.js';
import { describeSmallBlobs } from './small-blobs.suite.js';
import { describeResumableUploadStore } from './resumable-upload-store.suite.js';

async function makePostgresStore() {
  const { schema, drop } = await createTestSchema();
  const store = await openMetadataStore({ dataDir: '.', databaseUrl: POSTGRES_URL }, { databaseSchema: schema });
  return {
    store,
    async cleanup() {
      await store.close();
      await drop();
    },
  };
}

describeMetadataStore('postgres', makePostgresStore);
describeSmallBlobs('postgres', makePostgresStore, false);
describeResumableUploadStore('postgres', makePostgresStore);

describe('PostgreSQL migrations', () => {
  it('four stores opening one fresh schema at once all migrate it, and it is created once', async () => {
    const { schema, drop } = await createTestSchema();
    try {
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openMetadataStore({ dataDir: '.', databaseUrl: POSTGRES_URL }, { databaseSchema: schema })),
      );
      try {
        const tenants = await Promise.all(stores.map((store) => store.ensureTenant('shared')));
        expect(new Set(tenants.map((t) => t.id)).size).toBe(1);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
      expect(await tablesIn(schema)).toEqual([
        'alias_history',
        'aliases',
        'api_tokens',
        // Created by every dialect's migrations; PostgreSQL keeps no bytes in it (see the small-blob suite).
        'blob_bytes',
        'blobs',
        'collection_epoch',
        'kysely_migration',
        'kysely_migration_lock',
        'manifest_files',
        'manifests',
        'resumable_uploads',
        'session_blobs',
        'tenant_blobs',
        'tenants',
        'upload_sessions',
      ]);
      expect(await migrationsRecordedIn(schema)).toEqual(await migrationNames());
    } finally {
      await drop();
    }
  });

  it('migrates a schema named only by the URL’s search_path, beside another migrated schema', async () => {
    const first = await createTestSchema();
    const second = await createTestSchema();
    try {
      for (const { databaseUrl } of [first, second]) {
        const store = await openMetadataStore({ dataDir: '.', databaseUrl });
        await store.close();
      }
      expect(await migrationsRecordedIn(second.schema)).toEqual(await migrationNames());
    } finally {
      await first.drop();
      await second.drop();
    }
  });
});

/** Every migration the code has, in order. */
async function migrationNames(): Promise<string[]> {
  return Object.keys(await migrationProvider.getMigrations()).sort();
}

async function tablesIn(schema: string): Promise<string[]> {
  return (
    await query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1 order by table_name', [
      schema,
    ])
  ).map((r) => r.table_name);
}

async function migrationsRecordedIn(schema: string): Promise<string[]> {
  return (await query<{ name: string }>(`select name from ${schema}.kysely_migration order by name`)).map((r) => r.name);
}

async function query<Row extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}
