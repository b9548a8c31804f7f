// The metadata store's resumable-upload role (ResumableUploadStore) on every dialect: the lease that lets
// one request at a time write an upload, progress recorded only by its holder (bytes round-trip exactly),
// and which uploads garbage collection finds ended.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../src/domain/ports/metadata-store.js';
import type { MetadataStoreFixture } from './metadata-store.suite.js';

const at = (offsetMs: number) => new Date(Date.UTC(2030, 0, 1) + offsetMs).toISOString();
const HOUR = 3_600_000;

export function describeResumableUploadStore(name: string, make: () => Promise<MetadataStoreFixture>): void {
  describe(`ResumableUploadStore conformance: ${name}`, () => {
    let fixture: MetadataStoreFixture;
    let store: MetadataStore;
    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(async () => fixture.cleanup());

    /** A tenant, an open session of one blob expiring at `expiresAt`, and an upload of that blob. */
    async function upload(expiresAt = at(HOUR)): Promise<{ tenantId: string; sessionId: string; id: string }> {
      const tenant = await store.ensureTenant(`t-${randomBytes(4).toString('hex')}`);
      const sha256 = randomBytes(32).toString('hex');
      const sessionId = `us_${randomBytes(8).toString('hex')}`;
      const blob = { sha256, size: 100, mime: null };
      await store.createSession({
        id: sessionId,
        tenantId: tenant.id,
        uploadTokenHash: randomBytes(32).toString('hex'),
        createdAt: at(-1000),
        expiresAt,
        files: [{ path: 'a.bin', sha256, size: 100 }],
        blobs: [blob],
        totalBytes: 100,
      });
      const id = `tus_${randomBytes(8).toString('hex')}`;
      await store.createResumableUpload({
        id,
        tenantId: tenant.id,
        sessionId,
        sha256,
        length: 100,
        createdAt: at(0),
        expiresAt,
        storeState: null,
      });
      return { tenantId: tenant.id, sessionId, id };
    }

    it('keeps a new upload at offset 0 for its tenant only', async () => {
      const { tenantId, id } = await upload();
      expect(await store.getResumableUpload(tenantId, id)).toMatchObject({ offset: 0, length: 100, state: 'receiving', hashState: null });
      expect(await store.getResumableUpload('another-tenant', id)).toBeNull();
    });

    it('leases an upload to one holder until the lease lapses, and records progress only from the holder', async () => {
      const { tenantId, id } = await upload();
      expect(await store.leaseResumableUpload(id, 'a', at(0), at(10_000))).toBe(true);
      expect(await store.leaseResumableUpload(id, 'b', at(5_000), at(15_000))).toBe(false);
      expect(await store.leaseResumableUpload(id, 'a', at(5_000), at(15_000))).toBe(true);
      const progress = { offset: 40, hashState: randomBytes(116), mime: 'image/png', storeState: '{"parts":[]}', tail: randomBytes(40) };
      expect(await store.saveResumableProgress(id, 'b', progress)).toBe(false);
      expect(await store.saveResumableProgress(id, 'a', progress)).toBe(true);
      const saved = await store.getResumableUpload(tenantId, id);
      expect(saved).toMatchObject({ offset: 40, mime: 'image/png', storeState: '{"parts":[]}' });
      expect(Buffer.from(saved?.hashState ?? []).equals(progress.hashState)).toBe(true);
      expect(Buffer.from(saved?.tail ?? []).equals(progress.tail)).toBe(true);

      expect(await store.leaseResumableUpload(id, 'b', at(16_000), at(26_000))).toBe(true);
      expect(await store.saveResumableProgress(id, 'a', { ...progress, offset: 60 })).toBe(false);
      await store.releaseResumableUpload(id, 'b');
      expect(await store.leaseResumableUpload(id, 'c', at(17_000), at(27_000))).toBe(true);
    });

    it('completes an upload at its length, dropping its partial state', async () => {
      const { tenantId, id } = await upload();
      await store.leaseResumableUpload(id, 'a', at(0), at(10_000));
      await store.saveResumableProgress(id, 'a', {
        offset: 40,
        hashState: randomBytes(116),
        mime: null,
        storeState: 'x',
        tail: randomBytes(3),
      });
      await store.completeResumableUpload(id, 100);
      expect(await store.getResumableUpload(tenantId, id)).toMatchObject({
        offset: 100,
        state: 'completed',
        hashState: null,
        storeState: null,
        tail: null,
      });
      await store.deleteResumableUpload(id);
      expect(await store.getResumableUpload(tenantId, id)).toBeNull();
    });

    it('finds the uploads that ended: past their expiry, or their session no longer open', async () => {
      const live = await upload(at(HOUR));
      const expired = await upload(at(1000));
      const aborted = await upload(at(HOUR));
      await store.abortSession(aborted.tenantId, aborted.sessionId, at(0));
      const ended = (await store.endedResumableUploads(at(2000), 100)).map((u) => u.id);
      expect(ended).toEqual(expect.arrayContaining([expired.id, aborted.id]));
      expect(ended).not.toContain(live.id);
    });
  });
}
