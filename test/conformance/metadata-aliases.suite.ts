// The alias part of the metadata seam's conformance suite (called from metadata-store.suite.ts, on every
// backend): aliases unique across tenants, history, deleting manifests, and the lookups site serving makes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../src/domain/ports/metadata-store.js';
import type { FileEntry } from '../../src/domain/types.js';

/** Completes a manifest of `files` for the tenant (blobs committed, session completed) under `manifestId`. */
export type PublishManifest = (tenantId: string, files: readonly FileEntry[], manifestId: string) => Promise<void>;

const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');
const at = (offsetMs: number) => new Date(Date.UTC(2030, 0, 1) + offsetMs).toISOString();

export function describeAliasStore(storeOf: () => MetadataStore, publish: PublishManifest): void {
  describe('aliases', () => {
    const page = (text: string): FileEntry => ({ path: 'index.html', sha256: hex(text), size: text.length, mime: 'text/html' });

    async function twoManifests(tenantId: string): Promise<[string, string]> {
      const first = hex(`manifest one ${Math.random()}`);
      const second = hex(`manifest two ${Math.random()}`);
      await publish(tenantId, [page(`one ${first}`)], first);
      await publish(tenantId, [page(`two ${second}`), { ...page(`about ${second}`), path: 'about/index.html' }], second);
      return [first, second];
    }

    it('setAlias creates, moves and records history newest first; the same manifest again records nothing', async () => {
      const store = storeOf();
      const a = await store.ensureTenant('a');
      const [one, two] = await twoManifests(a.id);
      expect(await store.setAlias(a.id, 'www', one, at(1))).toEqual({
        kind: 'created',
        alias: { name: 'www', manifestId: one, updatedAt: at(1) },
      });
      expect(await store.setAlias(a.id, 'www', two, at(2))).toEqual({
        kind: 'updated',
        alias: { name: 'www', manifestId: two, updatedAt: at(2) },
      });
      expect((await store.setAlias(a.id, 'www', two, at(3))).kind).toBe('unchanged');
      expect(await store.setAlias(a.id, 'www', one, at(4))).toMatchObject({ kind: 'updated' });
      expect(await store.getAlias(a.id, 'www')).toEqual({
        alias: { name: 'www', manifestId: one, updatedAt: at(4) },
        history: [
          { manifestId: one, at: at(4) },
          { manifestId: two, at: at(2) },
          { manifestId: one, at: at(1) },
        ],
      });
      expect(await store.aliasSite('www')).toEqual({ tenantId: a.id, manifestId: one });
    });

    it('a name is unique across tenants; another tenant sees nothing of it; an unknown manifest is refused', async () => {
      const store = storeOf();
      const a = await store.ensureTenant('a');
      const b = await store.ensureTenant('b');
      const [one] = await twoManifests(a.id);
      const [theirs] = await twoManifests(b.id);
      await store.setAlias(a.id, 'shop', one, at(1));
      expect(await store.setAlias(b.id, 'shop', theirs, at(2))).toEqual({ kind: 'taken' });
      expect(await store.setAlias(b.id, 'other', one, at(2))).toEqual({ kind: 'manifest_not_found' });
      expect(await store.getAlias(b.id, 'shop')).toBeNull();
      expect(await store.deleteAlias(b.id, 'shop')).toBe(false);
      expect(await store.listAliases(b.id)).toEqual([]);
      expect(await store.aliasSite('shop')).toEqual({ tenantId: a.id, manifestId: one });
    });

    it('two tenants racing for a new name: exactly one gets it', async () => {
      const store = storeOf();
      const a = await store.ensureTenant('a');
      const b = await store.ensureTenant('b');
      const [mine] = await twoManifests(a.id);
      const [theirs] = await twoManifests(b.id);
      const results = await Promise.all([store.setAlias(a.id, 'race', mine, at(1)), store.setAlias(b.id, 'race', theirs, at(1))]);
      expect(results.map((r) => r.kind).sort()).toEqual(['created', 'taken']);
    });

    it('listAliases is by name; deleteAlias frees the name and drops its history', async () => {
      const store = storeOf();
      const a = await store.ensureTenant('a');
      const b = await store.ensureTenant('b');
      const [one, two] = await twoManifests(a.id);
      await store.setAlias(a.id, 'zeta', one, at(1));
      await store.setAlias(a.id, 'alpha', two, at(2));
      expect((await store.listAliases(a.id)).map((alias) => alias.name)).toEqual(['alpha', 'zeta']);
      expect(await store.deleteAlias(a.id, 'zeta')).toBe(true);
      expect(await store.aliasSite('zeta')).toBeNull();
      const [theirs] = await twoManifests(b.id);
      expect((await store.setAlias(b.id, 'zeta', theirs, at(3))).kind).toBe('created');
      expect((await store.getAlias(b.id, 'zeta'))?.history).toEqual([{ manifestId: theirs, at: at(3) }]);
    });

    it('deleteManifest is refused while an alias points at it, then deletes the manifest and its files', async () => {
      const store = storeOf();
      const a = await store.ensureTenant('a');
      const b = await store.ensureTenant('b');
      const [one, two] = await twoManifests(a.id);
      await store.setAlias(a.id, 'www', one, at(1));
      await store.setAlias(a.id, 'beta', one, at(1));
      expect(await store.deleteManifest(a.id, one)).toEqual({ kind: 'in_use', aliases: ['beta', 'www'] });
      expect(await store.deleteManifest(b.id, two)).toEqual({ kind: 'not_found' });
      expect(await store.deleteManifest(a.id, two)).toEqual({ kind: 'deleted' });
      expect(await store.getManifest(a.id, two)).toBeNull();
      expect(await store.siteFiles({ tenantId: a.id, manifestId: two }, ['index.html'])).toEqual([]);
      expect(await store.deleteManifest(a.id, two)).toEqual({ kind: 'not_found' });
      expect(await store.setAlias(a.id, 'www', two, at(2))).toEqual({ kind: 'manifest_not_found' });
    });

    it('previewSite finds a manifest by the first 32 hex digits of its id; siteFiles answers only the paths asked', async () => {
      const store = storeOf();
      const a = await store.ensureTenant('a');
      const [, two] = await twoManifests(a.id);
      const site = { tenantId: a.id, manifestId: two };
      expect(await store.previewSite(two.slice(0, 32))).toEqual(site);
      expect(await store.previewSite('f'.repeat(32))).toBeNull();
      const found = await store.siteFiles(site, ['about/index.html', 'about.html', 'missing']);
      expect(found.map((entry) => entry.path)).toEqual(['about/index.html']);
      expect(found[0]).toMatchObject({ mime: 'text/html', size: expect.any(Number) });
      expect(await store.siteFiles(site, [])).toEqual([]);
    });
  });
}
