// Which blobs are stored and which tenant holds each: the group commit of verified blobs, checked
// against garbage collection's tombstones.
import { AppError } from '../../domain/errors.js';
import type { BlobCommitResult, BlobIngester, BlobRecord, BlobStatter, HeldBlob } from '../../domain/ports/metadata-store.js';
import { batches } from './rows.js';
import type { SqlDatabase } from './sql-database.js';

export class SqlBlobLedger implements BlobStatter, BlobIngester {
  constructor(private readonly sql: SqlDatabase) {}

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

  commitBlobs(blobs: readonly BlobRecord[], commitBytes: (index: number) => Promise<unknown>): Promise<BlobCommitResult[]> {
    return this.sql.write('shared', async (tx) => {
      const results: BlobCommitResult[] = new Array(blobs.length);
      const shas = [...new Set(blobs.map((b) => b.sha256))];
      const doomed = new Set<string>();
      for (const batch of batches(shas)) {
        const rows = await tx
          .selectFrom('blobs')
          .select('sha256')
          .where('sha256', 'in', batch)
          .where('deleting_at', 'is not', null)
          .execute();
        for (const row of rows) doomed.add(row.sha256);
      }
      const committed: number[] = [];
      await Promise.all(
        blobs.map(async (blob, index) => {
          if (doomed.has(blob.sha256)) {
            results[index] = {
              error: new AppError('storage_unavailable', 'This blob is being garbage-collected; retry in a moment.', {
                headers: { 'retry-after': '1' },
              }),
            };
            return;
          }
          try {
            await commitBytes(index);
            committed.push(index);
          } catch (err) {
            results[index] = { error: err };
          }
        }),
      );
      committed.sort((a, b) => a - b);
      const blobRows = new Map<string, BlobRecord>();
      const tenantRows = new Map<string, BlobRecord>();
      for (const index of committed) {
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
      for (const index of committed) {
        const key = `${blobs[index].tenantId}/${blobs[index].sha256}`;
        results[index] = { alreadyPresent: !newToTenant.delete(key) };
      }
      return results;
    });
  }
}
