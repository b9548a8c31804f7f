import { test } from 'vitest';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { SqlMetadataStore } from '../../src/storage/metadata/sql-metadata-store.js';
import { createTestSchema, POSTGRES_URL } from '../support/postgres.js';
import { makeTempDir } from '../support/server.js';

const blobs = Array.from({ length: 100_000 }, (_, i) => ({ sha256: createHash('sha256').update(String(i)).digest('hex'), size: i, mime: i % 2 ? 'text/html' : null }));
const sorted = [...blobs].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
const cpuOf = (pid: number) => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
for (const kind of ['sqlite', 'postgres']) test(kind, async () => {
  const variants: Record<string, (db: Kysely<any>, id: string) => Promise<void>> = {
    batched: async (db, id) => { for (let i = 0; i < blobs.length; i += 2000) await db.insertInto('session_blobs').values(blobs.slice(i, i + 2000).map((b, j) => ({ session_id: id, ordinal: i + j, ...b }))).execute(); },
    batchedSorted: async (db, id) => { for (let i = 0; i < sorted.length; i += 2000) await db.insertInto('session_blobs').values(sorted.slice(i, i + 2000).map((b, j) => ({ session_id: id, ordinal: i + j, ...b }))).execute(); },
    json: async (db, id) => json(db, id, blobs),
    jsonSorted: async (db, id) => json(db, id, sorted),
  };
  const json = async (db: Kysely<any>, id: string, rows: typeof blobs) => {
    const j = JSON.stringify(rows.map((b, i) => [i, b.sha256, b.size, b.mime]));
    if (kind === 'sqlite') await sql`insert into session_blobs (session_id, ordinal, sha256, size, mime) select ${id}, value->>0, value->>1, value->>2, value->>3 from json_each(${j})`.execute(db);
    else await sql`insert into session_blobs (session_id, ordinal, sha256, size, mime) select ${id}, (f->>0)::int, f->>1, (f->>2)::bigint, f->>3 from jsonb_array_elements(${j}::jsonb) as f`.execute(db);
  };
  for (let round = 0; round < 2; round++) for (const [label, fn] of Object.entries(variants)) {
    const s = await createTestSchema();
    let db: Kysely<any>;
    if (kind === 'sqlite') { const raw = new SQLite((await makeTempDir()) + '/x.db'); raw.pragma('journal_mode = WAL'); raw.pragma('synchronous = FULL'); db = new Kysely({ dialect: new SqliteDialect({ database: raw }) }); }
    else db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1, connectionString: POSTGRES_URL, options: `-c search_path=${s.schema}` }) }) });
    const store = new SqlMetadataStore(db, kind as any); await store.migrate();
    const t = await store.ensureTenant('x');
    await db.insertInto('upload_sessions').values({ id: 's', tenant_id: t.id, upload_token_hash: 'h', state: 'open', created_at: 'a', expires_at: 'b', file_count: 1, blob_count: 1, total_bytes: 1, manifest_id: null }).execute();
    const backend = kind === 'postgres' ? (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid : 0;
    const c0 = process.cpuUsage(); const b0 = backend ? cpuOf(backend) : 0; const t0 = performance.now();
    await db.transaction().execute(async (tx) => fn(tx as any, 's'));
    const c = process.cpuUsage(c0); const b = backend ? cpuOf(backend) - b0 : 0;
    console.log(`${kind} ${label}: wall ${Math.round(performance.now() - t0)} nodeCpu ${Math.round((c.user + c.system) / 1000)} pgCpu ${b}`);
    await store.close(); await s.drop();
  }
});
