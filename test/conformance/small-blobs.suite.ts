// The metadata seam's small-blob contract, run by every metadata backend's test file: where the dialect
// keeps blob bytes (SQLite), a small blob's bytes go in with its rows, read back in the same query, count in
// blobPlaces and leave with forgetBlobs; where it does not (PostgreSQL), no bytes are ever taken.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import type { BlobRecord, MetadataStore } from '../../src/domain/ports/metadata-store.js';
import { commitBlob } from '../support/stores.js';
import type { MetadataStoreFixture } from './metadata-store.suite.js';

const NOW = '2030-01-01T00:00:00.000Z';
const LATER = '2030-01-01T02:00:00.000Z';

interface Small {
  readonly sha256: string;
  readonly bytes: Buffer;
}

function small(size: number): Small {
  const bytes = randomBytes(size);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
}

function recordOf(tenantId: string, blob: Small, now = NOW): BlobRecord & { bytes: Buffer } {
  return { tenantId, sha256: blob.sha256, size: blob.bytes.length, mime: null, now, bytes: blob.bytes };
}

export function describeSmallBlobs(name: string, make: () => Promise<MetadataStoreFixture>, keepsBytes: boolean): void {
  describe(`MetadataStore small blobs: ${name}`, () => {
    let fixture: MetadataStoreFixture;
    let store: MetadataStore;

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it(`takes small blobs' bytes with their rows: ${keepsBytes ? `up to the configured ${DEFAULT_CONFIG.smallBlobMaxBytes} bytes` : 'never'}`, () => {
      expect(store.inlineBlobMaxBytes).toBe(keepsBytes ? DEFAULT_CONFIG.smallBlobMaxBytes : 0);
    });

    it('reads a blob committed through the blob store without bytes, and counts it in the store', async () => {
      const a = await store.ensureTenant('a');
      const x = small(300);
      await commitBlob(store, { tenantId: a.id, sha256: x.sha256, size: 300, mime: 'text/css', now: NOW });
      expect(await store.readTenantBlob(a.id, x.sha256)).toEqual({ mime: 'text/css', size: 300, bytes: null });
      expect(await store.blobPlaces()).toEqual({ database: { blobs: 0, bytes: 0 }, store: { blobs: 1, bytes: 300 } });
    });

    if (!keepsBytes) return;

    it('records a group of 100 small blobs with their bytes in one call, each readable with its bytes in one read', async () => {
      const a = await store.ensureTenant('a');
      const blobs = Array.from({ length: 100 }, (_, i) => small(1 + i * 40));
      const results = await store.recordBlobs(blobs.map((blob) => recordOf(a.id, blob)));
      expect(results).toEqual(blobs.map(() => ({ alreadyPresent: false })));
      for (const blob of blobs) {
        const read = await store.readTenantBlob(a.id, blob.sha256);
        expect(Buffer.from(read?.bytes ?? [])).toEqual(blob.bytes);
        expect(await store.tenantBlob(a.id, blob.sha256)).toEqual({ mime: null, size: blob.bytes.length });
      }
      const total = blobs.reduce((sum, blob) => sum + blob.bytes.length, 0);
      expect(await store.blobPlaces()).toEqual({ database: { blobs: 100, bytes: total }, store: { blobs: 0, bytes: 0 } });
    });

    it('keeps one copy of bytes per blob across tenants, and never another copy of a blob the store already holds', async () => {
      const [a, b] = [await store.ensureTenant('a'), await store.ensureTenant('b')];
      const x = small(500);
      expect(await store.recordBlobs([recordOf(a.id, x), recordOf(a.id, x)])).toEqual([
        { alreadyPresent: false },
        { alreadyPresent: true },
      ]);
      expect(await store.recordBlobs([recordOf(b.id, x)])).toEqual([{ alreadyPresent: false }]);
      expect(Buffer.from((await store.readTenantBlob(b.id, x.sha256))?.bytes ?? [])).toEqual(x.bytes);

      // A blob already in the blob store (an earlier version's file, a larger threshold) stays where it is.
      const file = small(700);
      await commitBlob(store, { tenantId: a.id, sha256: file.sha256, size: 700, mime: null, now: NOW });
      expect(await store.recordBlobs([recordOf(b.id, file)])).toEqual([{ alreadyPresent: false }]);
      expect(await store.readTenantBlob(b.id, file.sha256)).toEqual({ mime: null, size: 700, bytes: null });
      expect(await store.blobPlaces()).toEqual({ database: { blobs: 1, bytes: 500 }, store: { blobs: 1, bytes: 700 } });
    });

    it('refuses bytes for a blob being collected, and forgetBlobs deletes the bytes with the rows and says how many', async () => {
      const a = await store.ensureTenant('a');
      const [garbage, kept] = [small(1000), small(2000)];
      await store.recordBlobs([recordOf(a.id, garbage, NOW), recordOf(a.id, kept, LATER)]);
      expect(await store.tombstoneGarbage('2030-01-01T01:00:00.000Z', [], LATER)).toEqual([garbage.sha256]);

      const [refused] = await store.recordBlobs([recordOf(a.id, garbage, LATER)]);
      expect(refused).toEqual({ error: expect.objectContaining({ code: 'storage_unavailable' }) });
      expect(await store.readTenantBlob(a.id, garbage.sha256)).toBeUndefined();

      expect(await store.forgetBlobs([garbage.sha256, kept.sha256])).toBe(1000);
      expect(await store.knownBlobs([garbage.sha256, kept.sha256])).toEqual(new Set([kept.sha256]));
      expect(await store.blobPlaces()).toEqual({ database: { blobs: 1, bytes: 2000 }, store: { blobs: 0, bytes: 0 } });
      // Forgotten, it can be stored afresh, bytes and all.
      expect(await store.recordBlobs([recordOf(a.id, garbage, LATER)])).toEqual([{ alreadyPresent: false }]);
      expect(Buffer.from((await store.readTenantBlob(a.id, garbage.sha256))?.bytes ?? [])).toEqual(garbage.bytes);
    });
  });
}
