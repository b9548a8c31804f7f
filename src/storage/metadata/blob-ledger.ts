// Which blobs are stored and which tenant holds each: the two steps of a blob commit around its bytes,
// checked against garbage collection's tombstones and epoch; a small blob's bytes recorded with its rows.
import { sql } from 'kysely';
import { AppError } from '../../domain/errors.js';
import type {
  BlobCensus,
  BlobCommitResult,
  BlobCommitTicket,
  BlobIngester,
  BlobPlaces,
  BlobStatter,
  HeldBlob,
  ReadableBlob,
  RecordedBlob,
} from '../../domain/ports/metadata-store.js';
import type { Executor } from './dialect/dialect-adapter.js';
import { batches } from './rows.js';
import type { SqlDatabase } from './sql-database.js';

export class SqlBlobLedger implements BlobStatter, BlobIngester, BlobCensus {
  readonly inlineBlobMaxBytes: number;

  /** `smallBlobMaxBytes`: the configured threshold, used only where the dialect keeps blob bytes. */
  constructor(
    private readonly sql: SqlDatabase,
    smallBlobMaxBytes: number,
  ) {
    this.inlineBlobMaxBytes = sql.adapter.keepsBlobBytes ? smallBlobMaxBytes : 0;
  }

  tenantBlob(tenantId: string, sha256: string): Promise<HeldBlob | undefined> {
    return this.sql.run(async (db) => {
      return db
        .selectFrom('tenant_blobs')
        .innerJoin('blobs', 'blobs.sha256', 'tenant_blobs.sha256')
        .select(['tenant_blobs.mime', 'blobs.size'])
        .where('tenant_blobs.tenant_id', '=', tenantId)
        .where('tenant_blobs.sha256', '=', sha256)
        .where('blobs.deleting_at', 'is', null)
        .executeTakeFirst();
    });
  }

  readTenantBlob(tenantId: string, sha256: string): Promise<ReadableBlob | undefined> {
    return this.sql.run(async (db) => {
      return db
        .selectFrom('tenant_blobs')
        .innerJoin('blobs', 'blobs.sha256', 'tenant_blobs.sha256')
        .leftJoin('blob_bytes', 'blob_bytes.sha256', 'tenant_blobs.sha256')
        .select(['tenant_blobs.mime', 'blobs.size', 'blob_bytes.bytes'])
        .where('tenant_blobs.tenant_id', '=', tenantId)
        .where('tenant_blobs.sha256', '=', sha256)
        .where('blobs.deleting_at', 'is', null)
        .executeTakeFirst();
    });
  }

  blobPlaces(): Promise<BlobPlaces> {
    return this.sql.run(async (db) => {
      const rows = await db
        .selectFrom('blobs')
        .leftJoin('blob_bytes', 'blob_bytes.sha256', 'blobs.sha256')
        .where('blobs.deleting_at', 'is', null)
        .select([
          sql<number>`case when blob_bytes.sha256 is null then 0 else 1 end`.as('inline'),
          sql<string | number>`count(*)`.as('blobs'),
          sql<string | number>`coalesce(sum(blobs.size), 0)`.as('bytes'),
        ])
        .groupBy(sql`case when blob_bytes.sha256 is null then 0 else 1 end`)
        .execute();
      const place = (inline: number) => {
        const row = rows.find((r) => Number(r.inline) === inline);
        return { blobs: Number(row?.blobs ?? 0), bytes: Number(row?.bytes ?? 0) };
      };
      return { database: place(1), store: place(0) };
    });
  }

  startBlobCommit(sha256: string): Promise<BlobCommitTicket> {
    return this.sql.run(async (db) => {
      const row = await db
        .selectFrom('collection_epoch')
        .leftJoin('blobs', (join) => join.on('blobs.sha256', '=', sha256))
        .select(['collection_epoch.epoch', 'blobs.deleting_at'])
        .where('collection_epoch.id', '=', 1)
        .executeTakeFirstOrThrow();
      if (row.deleting_at !== null) throw beingCollected();
      return { collectionEpoch: row.epoch };
    });
  }

  recordBlobs(blobs: readonly RecordedBlob[]): Promise<BlobCommitResult[]> {
    return this.sql.write('shared', async (tx) => {
      const epoch = await epochIn(tx);
      const tombstones = await tombstonesOf(tx, blobs);
      const results: BlobCommitResult[] = new Array(blobs.length);
      const accepted: number[] = [];
      blobs.forEach((blob, index) => {
        const deletingAt = tombstones.get(blob.sha256);
        // Bytes recorded here cannot have been lost to a collection: only a tombstone refuses them.
        const mayHaveLostBytes =
          deletingAt === undefined ? blob.ticket !== undefined && blob.ticket.collectionEpoch !== epoch : deletingAt !== null;
        if (mayHaveLostBytes) results[index] = { error: beingCollected() };
        else accepted.push(index);
      });

      const blobRows = new Map<string, RecordedBlob>();
      const tenantRows = new Map<string, RecordedBlob>();
      for (const index of accepted) {
        const blob = blobs[index];
        if (!blobRows.has(blob.sha256)) blobRows.set(blob.sha256, blob);
        const key = `${blob.tenantId}/${blob.sha256}`;
        if (!tenantRows.has(key)) tenantRows.set(key, blob);
      }
      for (const batch of batches([...blobRows.values()])) {
        await tx
          .insertInto('blobs')
          .values(batch.map((b) => ({ sha256: b.sha256, size: b.size, created_at: b.now, touched_at: b.now, deleting_at: null })))
          .onConflict((oc) => oc.column('sha256').doUpdateSet({ touched_at: (eb) => eb.ref('excluded.touched_at') }))
          .execute();
      }
      // Bytes only for a blob that had no row: a live row means its bytes are stored already, wherever they are.
      const newBytes = [...blobRows.values()].filter((b) => b.bytes !== undefined && !tombstones.has(b.sha256));
      for (const batch of batches(newBytes)) {
        await tx
          .insertInto('blob_bytes')
          .values(batch.map((b) => ({ sha256: b.sha256, bytes: b.bytes as Uint8Array })))
          .onConflict((oc) => oc.column('sha256').doNothing())
          .execute();
      }
      const newToTenant = new Set<string>();
      for (const batch of batches([...tenantRows.values()])) {
        const inserted = await tx
          .insertInto('tenant_blobs')
          .values(batch.map((b) => ({ tenant_id: b.tenantId, sha256: b.sha256, mime: b.mime, created_at: b.now })))
          .onConflict((oc) => oc.columns(['tenant_id', 'sha256']).doNothing())
          .returning(['tenant_id', 'sha256'])
          .execute();
        for (const row of inserted) newToTenant.add(`${row.tenant_id}/${row.sha256}`);
      }
      for (const index of accepted) {
        results[index] = { alreadyPresent: !newToTenant.delete(`${blobs[index].tenantId}/${blobs[index].sha256}`) };
      }
      return results;
    });
  }
}

async function epochIn(q: Executor): Promise<number> {
  return (await q.selectFrom('collection_epoch').select('epoch').where('id', '=', 1).executeTakeFirstOrThrow()).epoch;
}

/** deleting_at of each blob that has a row (null for a live one); absent: no row. */
async function tombstonesOf(q: Executor, blobs: readonly RecordedBlob[]): Promise<Map<string, string | null>> {
  const rows = new Map<string, string | null>();
  for (const batch of batches([...new Set(blobs.map((b) => b.sha256))])) {
    const found = await q.selectFrom('blobs').select(['sha256', 'deleting_at']).where('sha256', 'in', batch).execute();
    for (const row of found) rows.set(row.sha256, row.deleting_at);
  }
  return rows;
}

function beingCollected(): AppError {
  return new AppError('storage_unavailable', 'This blob is being garbage-collected; retry in a moment.', { retryAfterSeconds: 1 });
}
