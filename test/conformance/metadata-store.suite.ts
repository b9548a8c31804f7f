// The metadata seam's conformance suite: every backend runs it (one small *.test.ts per backend), so a
// backend passes only by keeping every contract written on MetadataStore.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import type { FileEntry, SessionBlob } from '../../src/domain/types.js';
import type { MetadataStore, NewSession } from '../../src/domain/ports/metadata-store.js';
import { commitBlob } from '../support/stores.js';
import { describeAliasStore } from './metadata-aliases.suite.js';

export interface MetadataStoreFixture {
  readonly store: MetadataStore;
  cleanup(): Promise<void>;
}

const HOUR = 3_600_000;

export function describeMetadataStore(name: string, make: () => Promise<MetadataStoreFixture>): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let fixture: MetadataStoreFixture;
    let store: MetadataStore;

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Stores a session of these files for the tenant; returns its id and the missing list. */
    async function openSession(
      tenantId: string,
      files: readonly FileEntry[],
      expiresAt = at(HOUR),
    ): Promise<{ id: string; missing: string[] }> {
      const session = newSession(tenantId, files, expiresAt);
      const created = await store.createSession(session);
      if (created.kind !== 'created') throw new Error(`createSession answered ${created.kind}`);
      return { id: session.id, missing: created.missing };
    }

    async function commit(
      tenantId: string,
      file: Pick<FileEntry, 'sha256' | 'size'>,
      now = at(0),
      mime: string | null = null,
    ): Promise<boolean> {
      const { alreadyPresent } = await commitBlob(
        store,
        { tenantId, sha256: file.sha256, size: file.size, mime, now },
        async () => undefined,
      );
      return alreadyPresent;
    }

    describeAliasStore(
      () => store,
      async (tenantId, files, manifestId) => {
        for (const entry of files) await commit(tenantId, entry);
        const { id } = await openSession(tenantId, files);
        const outcome = await store.completeSession(tenantId, id, manifestId, at(0));
        if (outcome.kind !== 'completed') throw new Error(`completeSession answered ${outcome.kind}`);
      },
    );

    describe('schema and health', () => {
      it('migrates again without error and answers ready', async () => {
        await store.migrate();
        await expect(store.checkReady()).resolves.toBeUndefined();
        expect(['sqlite', 'postgres']).toContain(store.dialect);
      });
    });

    describe('tenants', () => {
      it('ensureTenant returns the same tenant for the same name and another for another name', async () => {
        const first = await store.ensureTenant('alpha');
        expect(first.name).toBe('alpha');
        expect(await store.ensureTenant('alpha')).toEqual(first);
        const other = await store.ensureTenant('beta');
        expect(other.id).not.toBe(first.id);
      });

      it('ensureTenant creates one tenant when 10 callers race', async () => {
        const tenants = await Promise.all(Array.from({ length: 10 }, () => store.ensureTenant('racing')));
        expect(new Set(tenants.map((t) => t.id)).size).toBe(1);
        expect(await store.ensureTenant('racing')).toEqual(tenants[0]);
      });
    });

    describe('API tokens', () => {
      it('creates, finds by hash, lists and revokes by id or by hash', async () => {
        const tenant = await store.ensureTenant('tokens');
        expect(await store.countApiTokens()).toBe(0);
        const createdAt = at(0);
        await store.createApiToken({ id: 'tok_one', tenantId: tenant.id, tokenHash: hex('one'), scopes: ['upload', 'read'], createdAt });
        await store.createApiToken({ id: 'tok_two', tenantId: tenant.id, tokenHash: hex('two'), scopes: ['read'], createdAt: at(1000) });
        expect(await store.countApiTokens()).toBe(2);

        expect(await store.findApiTokenByHash(hex('one'))).toEqual({
          id: 'tok_one',
          tenantId: tenant.id,
          tenantName: 'tokens',
          tokenHash: hex('one'),
          scopes: ['upload', 'read'],
          createdAt,
          revokedAt: null,
        });
        expect(await store.findApiTokenByHash(hex('unknown'))).toBeNull();

        const revokedAt = at(2000);
        expect(await store.revokeApiToken('tok_one', revokedAt)).toBe(true);
        expect(await store.revokeApiToken('tok_one', revokedAt)).toBe(false);
        expect((await store.findApiTokenByHash(hex('one')))?.revokedAt).toBe(revokedAt);
        expect(await store.revokeApiToken(hex('two'), revokedAt)).toBe(true);
        expect(await store.revokeApiToken('tok_unknown', revokedAt)).toBe(false);

        const listed = await store.listApiTokens();
        expect(listed.map((t) => [t.id, t.tenantName, t.scopes, t.revokedAt])).toEqual([
          ['tok_one', 'tokens', ['upload', 'read'], revokedAt],
          ['tok_two', 'tokens', ['read'], revokedAt],
        ]);
        expect(await store.countApiTokens()).toBe(2);
      });
    });

    describe('sessions', () => {
      it('createSession reports each blob the tenant lacks once, in manifest order, per tenant', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        // Manifest order differs from sha256 order, so an ORDER BY sha256 would show.
        const [x, y, z] = descendingBlobs(3);
        const files = [file('a.txt', x), file('b.txt', y), file('c.txt', x), file('d.txt', z)];
        const first = await openSession(a.id, files);
        expect(first.missing).toEqual([x.sha256, y.sha256, z.sha256]);

        expect(await commit(a.id, y)).toBe(false);
        expect(await store.missingBlobs(a.id, first.id)).toEqual([x.sha256, z.sha256]);
        expect((await openSession(a.id, files)).missing).toEqual([x.sha256, z.sha256]);
        expect((await openSession(b.id, files)).missing).toEqual([x.sha256, y.sha256, z.sha256]);
      });

      it('getSession returns the tenant’s own session and null for another tenant', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const [x, y] = descendingBlobs(2);
        const expiresAt = at(HOUR);
        const session = newSession(a.id, [file('one', x), file('two', y), file('three', x)], expiresAt);
        await store.createSession(session);

        expect(await store.getSession(a.id, session.id)).toEqual({
          id: session.id,
          tenantId: a.id,
          uploadTokenHash: session.uploadTokenHash,
          state: 'open',
          createdAt: session.createdAt,
          expiresAt,
          fileCount: 3,
          blobCount: 2,
          totalBytes: x.size + y.size,
          manifestId: null,
        });
        expect(await store.getSession(b.id, session.id)).toBeNull();
        expect(await store.getSession(a.id, 'us_unknown')).toBeNull();
      });

      it("putContext reads the session, the named blob and the tenant's presence at once, per tenant", async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const [x, y] = descendingBlobs(2);
        const { id } = await openSession(a.id, [file('page.html', x, 'text/html'), file('data.bin', y)]);
        expect(await commit(a.id, x, at(0), 'text/html')).toBe(false);

        const held = await store.putContext(a.id, id, x.sha256);
        expect(held?.session).toEqual(await store.getSession(a.id, id));
        expect(held?.blob).toEqual({ sha256: x.sha256, size: x.size, mime: 'text/html' });
        expect(held?.held).toEqual({ mime: 'text/html', size: x.size });

        const notHeld = await store.putContext(a.id, id, y.sha256);
        expect(notHeld?.blob).toEqual({ sha256: y.sha256, size: y.size, mime: null });
        expect(notHeld?.held).toBeUndefined();

        expect((await store.putContext(a.id, id, hex('not named')))?.blob).toBeNull();
        expect(await store.putContext(b.id, id, x.sha256)).toBeNull();
        expect(await store.putContext(a.id, 'us_unknown', x.sha256)).toBeNull();
      });

      it('putContextByToken answers the token and, for its tenant only, what putContext answers, in one read', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const createdAt = at(0);
        await store.createApiToken({ id: 'tok_a', tenantId: a.id, tokenHash: hex('token a'), scopes: ['upload'], createdAt });
        await store.createApiToken({ id: 'tok_b', tenantId: b.id, tokenHash: hex('token b'), scopes: ['upload'], createdAt });
        const [x, y] = descendingBlobs(2);
        const { id } = await openSession(a.id, [file('page.html', x, 'text/html'), file('data.bin', y)]);
        await commit(a.id, x, at(0), 'text/html');

        const tokenA = await store.findApiTokenByHash(hex('token a'));
        for (const sha256 of [x.sha256, y.sha256, hex('not named')]) {
          expect(await store.putContextByToken(hex('token a'), id, sha256)).toEqual({
            token: tokenA,
            context: await store.putContext(a.id, id, sha256),
          });
        }
        // Another tenant's token never sees the session; an unknown token finds nothing.
        expect(await store.putContextByToken(hex('token b'), id, x.sha256)).toEqual({
          token: await store.findApiTokenByHash(hex('token b')),
          context: null,
        });
        expect(await store.putContextByToken(hex('token a'), 'us_unknown', x.sha256)).toEqual({ token: tokenA, context: null });
        expect(await store.putContextByToken(hex('no such token'), id, x.sha256)).toBeNull();
      });

      it('sessionBlobs reads many of a session’s blobs and the tenant’s presence of each at once, per tenant', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const [x, y, doomed] = descendingBlobs(3);
        // A blob being collected is not held, even by a tenant that had it.
        await commit(a.id, doomed, at(-2 * HOUR));
        expect(await store.tombstoneGarbage(at(-HOUR), [], at(0))).toEqual([doomed.sha256]);
        const { id } = await openSession(a.id, [file('page.html', x, 'text/html'), file('data.bin', y), file('old.bin', doomed)]);
        expect(await commit(a.id, x, at(0), 'text/html')).toBe(false);

        const found = await store.sessionBlobs(a.id, id, [x.sha256, y.sha256, hex('not named'), x.sha256, doomed.sha256]);
        expect(found).toEqual(
          new Map([
            [x.sha256, { blob: { sha256: x.sha256, size: x.size, mime: 'text/html' }, held: { mime: 'text/html', size: x.size } }],
            [y.sha256, { blob: { sha256: y.sha256, size: y.size, mime: null }, held: undefined }],
            [doomed.sha256, { blob: { sha256: doomed.sha256, size: doomed.size, mime: null }, held: undefined }],
          ]),
        );
        expect(await store.sessionBlobs(b.id, id, [x.sha256])).toEqual(new Map());
        expect(await store.sessionBlobs(a.id, 'us_unknown', [x.sha256])).toEqual(new Map());
        expect(await store.sessionBlobs(a.id, id, [])).toEqual(new Map());
      });

      it('createSession refuses, storing nothing, a blob its tenant holds with another size; other tenants do not count', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const [x, y, z] = descendingBlobs(3);
        await commit(a.id, x);
        await commit(a.id, y);
        const wrong = newSession(
          a.id,
          [file('new', z), file('short', { ...y, size: y.size - 1 }), file('long', { ...x, size: 999_999 })],
          at(HOUR),
        );
        expect(await store.createSession(wrong)).toEqual({ kind: 'size_conflict', sha256: y.sha256, heldSize: y.size });
        expect(await store.getSession(a.id, wrong.id)).toBeNull();
        expect(await store.sessionFiles(wrong.id)).toEqual([]);

        expect((await openSession(a.id, [file('new', z), file('right', x)])).missing).toEqual([z.sha256]);
        expect((await openSession(b.id, [file('long', { ...x, size: 999_999 })])).missing).toEqual([x.sha256]);
      });

      it('sessionFiles lists the files sorted by the UTF-8 bytes of their paths', async () => {
        const a = await store.ensureTenant('a');
        const [x] = descendingBlobs(1);
        const files = AWKWARD_PATHS.map((path) => file(path, x));
        const { id } = await openSession(a.id, files);
        const listed = await store.sessionFiles(id);
        expect(listed.map((f) => f.path)).toEqual(utf8Sorted(AWKWARD_PATHS));
        // A file stored without a mime comes back without the key, as the manifest id expects.
        expect(new Set(listed.map((f) => JSON.stringify([Object.keys(f), f.sha256, f.size])))).toEqual(
          new Set([JSON.stringify([['path', 'sha256', 'size'], x.sha256, x.size])]),
        );
      });

      it('abortSession moves only an open session to aborted and returns the state it had', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const { id } = await openSession(a.id, [file('f', descendingBlobs(1)[0]!)]);
        expect(await store.abortSession(b.id, id, at(0))).toBeNull();
        expect((await store.getSession(a.id, id))?.state).toBe('open');
        expect(await store.abortSession(a.id, id, at(0))).toBe('open');
        expect(await store.abortSession(a.id, id, at(0))).toBe('aborted');
        expect((await store.getSession(a.id, id))?.state).toBe('aborted');
        expect(await store.abortSession(a.id, 'us_unknown', at(0))).toBeNull();
      });

      it('expireSessions marks open sessions past their expiry, and only those', async () => {
        const a = await store.ensureTenant('a');
        const [x] = descendingBlobs(1);
        const now = at(0);
        const due = await openSession(a.id, [file('f', x)], now);
        const later = await openSession(a.id, [file('f', x)], at(1));
        const aborted = await openSession(a.id, [file('f', x)], at(-HOUR));
        await store.abortSession(a.id, aborted.id, at(0));

        expect(await store.expireSessions(now)).toBe(1);
        expect((await store.getSession(a.id, due.id))?.state).toBe('expired');
        expect((await store.getSession(a.id, later.id))?.state).toBe('open');
        expect((await store.getSession(a.id, aborted.id))?.state).toBe('aborted');
        expect(await store.expireSessions(now)).toBe(0);
      });

      it('stores a session of 100,000 files', async () => {
        const a = await store.ensureTenant('big');
        const files = Array.from({ length: 100_000 }, (_, i) =>
          file(`site/${i}.html`, blob(`big ${i}`, i), i % 2 ? 'text/html' : undefined),
        );
        const session = newSession(a.id, files, at(HOUR));
        const started = performance.now();
        const created = await store.createSession(session);
        const missing = created.kind === 'created' ? created.missing : [];
        console.log(`[${name}] createSession with 100,000 files: ${Math.round(performance.now() - started)} ms`);

        expect(missing).toHaveLength(100_000);
        expect(missing.slice(0, 3)).toEqual(files.slice(0, 3).map((f) => f.sha256));
        expect(missing.at(-1)).toBe(files.at(-1)?.sha256);
        const stored = await store.getSession(a.id, session.id);
        expect(stored).toMatchObject({ fileCount: 100_000, blobCount: 100_000, totalBytes: session.totalBytes });
        expect(await store.sessionFiles(session.id)).toHaveLength(100_000);
      });
    });

    describe('blob commits', () => {
      it('commitBlob reports alreadyPresent false, then true, per tenant', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const [x] = descendingBlobs(1);
        let commits = 0;
        const countingCommit = async () => {
          commits += 1;
        };
        const record = { sha256: x.sha256, size: x.size, mime: 'image/png', now: at(0) };
        expect(await store.tenantBlob(a.id, x.sha256)).toBeUndefined();
        expect(await commitBlob(store, { ...record, tenantId: a.id }, countingCommit)).toEqual({ alreadyPresent: false });
        expect(commits).toBe(1);
        expect(await commitBlob(store, { ...record, tenantId: a.id }, countingCommit)).toEqual({ alreadyPresent: true });

        expect(await store.tenantBlob(a.id, x.sha256)).toEqual({ mime: 'image/png', size: x.size });
        expect(await store.tenantBlob(b.id, x.sha256)).toBeUndefined();
        expect(await commitBlob(store, { ...record, tenantId: b.id, mime: null }, countingCommit)).toEqual({ alreadyPresent: false });
        expect(await store.tenantBlob(b.id, x.sha256)).toEqual({ mime: null, size: x.size });
      });

      it('commitBlob records nothing when commitBytes throws', async () => {
        const a = await store.ensureTenant('a');
        const [x] = descendingBlobs(1);
        const { id } = await openSession(a.id, [file('f', x)]);
        const failure = new Error('disk on fire');
        await expect(
          commitBlob(store, { tenantId: a.id, sha256: x.sha256, size: x.size, mime: null, now: at(0) }, async () => {
            throw failure;
          }),
        ).rejects.toBe(failure);

        expect(await store.tenantBlob(a.id, x.sha256)).toBeUndefined();
        expect(await store.missingBlobs(a.id, id)).toEqual([x.sha256]);
        expect(await store.knownBlobs([x.sha256])).toEqual(new Set());
        expect(await commit(a.id, x)).toBe(false);
      });

      it('commitBlob of one blob by 8 callers at once answers alreadyPresent=false exactly once', async () => {
        const a = await store.ensureTenant('a');
        const [x] = descendingBlobs(1);
        const answers = await Promise.all(Array.from({ length: 8 }, () => commit(a.id, x)));
        expect(answers.filter((present) => !present)).toHaveLength(1);
        expect(await store.knownBlobs([x.sha256])).toEqual(new Set([x.sha256]));
      });
    });

    describe('completing sessions and manifests', () => {
      it('completeSession answers missing until every blob is held, then freezes the manifest once', async () => {
        const a = await store.ensureTenant('a');
        const [x, y] = descendingBlobs(2);
        // x backs two paths: the manifest's totalBytes counts it twice, the session's once.
        const files = [file('z.css', y, 'text/css'), file('a.txt', x), file('copy/a.txt', x)];
        const { id } = await openSession(a.id, files);
        await commit(a.id, x);

        expect(await store.completeSession(a.id, id, MANIFEST_ID, at(1))).toEqual({ kind: 'missing', missing: [y.sha256] });
        expect((await store.getSession(a.id, id))?.state).toBe('open');

        await commit(a.id, y);
        const completedAt = at(2);
        const manifest = { manifestId: MANIFEST_ID, createdAt: completedAt, fileCount: 3, totalBytes: 2 * x.size + y.size };
        expect(await store.completeSession(a.id, id, MANIFEST_ID, completedAt)).toEqual({ kind: 'completed', manifest });
        expect(await store.getSession(a.id, id)).toMatchObject({ state: 'completed', manifestId: MANIFEST_ID });
        expect(await store.completeSession(a.id, id, MANIFEST_ID, at(3))).toEqual({ kind: 'completed', manifest });
        expect(await store.abortSession(a.id, id, at(0))).toBe('completed');
        expect((await store.getSession(a.id, id))?.state).toBe('completed');
      });

      it('a second session with the same files completes into the same manifest', async () => {
        const a = await store.ensureTenant('a');
        const [x] = descendingBlobs(1);
        await commit(a.id, x);
        const first = await openSession(a.id, [file('index.html', x)]);
        const second = await openSession(a.id, [file('index.html', x)]);
        const outcome = await store.completeSession(a.id, first.id, MANIFEST_ID, at(1));
        expect(await store.completeSession(a.id, second.id, MANIFEST_ID, at(2))).toEqual(outcome);
        expect((await store.getManifest(a.id, MANIFEST_ID))?.files).toHaveLength(1);
      });

      it('completeSession answers not_open for an aborted session and for another tenant’s', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const [x] = descendingBlobs(1);
        await commit(a.id, x);
        await commit(b.id, x);
        const { id } = await openSession(a.id, [file('f', x)]);
        expect((await store.completeSession(b.id, id, MANIFEST_ID, at(1))).kind).toBe('not_open');
        expect((await store.getSession(a.id, id))?.state).toBe('open');

        await store.abortSession(a.id, id, at(0));
        expect(await store.completeSession(a.id, id, MANIFEST_ID, at(1))).toEqual({ kind: 'not_open', state: 'aborted' });
        expect(await store.getManifest(a.id, MANIFEST_ID)).toBeNull();
      });

      it('completeSession answers expired once now reaches expiresAt', async () => {
        const a = await store.ensureTenant('a');
        const [x] = descendingBlobs(1);
        await commit(a.id, x);
        const expiresAt = at(HOUR);
        const { id } = await openSession(a.id, [file('f', x)], expiresAt);
        expect(await store.completeSession(a.id, id, MANIFEST_ID, expiresAt)).toEqual({ kind: 'not_open', state: 'expired' });
        expect(await store.getManifest(a.id, MANIFEST_ID)).toBeNull();
        expect((await store.completeSession(a.id, id, MANIFEST_ID, at(HOUR - 1))).kind).toBe('completed');
      });

      it('completeSession and abortSession racing on one session agree on who won', async () => {
        const a = await store.ensureTenant('a');
        const [x] = descendingBlobs(1);
        await commit(a.id, x);
        const races = Array.from({ length: 10 }, async (_, i) => {
          const { id } = await openSession(a.id, [file(`race-${i}`, x)]);
          const [outcome, previous] = await Promise.all([
            store.completeSession(a.id, id, hex(`manifest ${i}`), at(1)),
            store.abortSession(a.id, id, at(0)),
          ]);
          const finalState = (await store.getSession(a.id, id))?.state;
          return { completed: outcome.kind === 'completed', previous, finalState };
        });
        for (const race of await Promise.all(races)) {
          expect([race.finalState, race.previous]).toEqual(race.completed ? ['completed', 'completed'] : ['aborted', 'open']);
        }
      });

      it('getManifest returns the tenant’s manifest with its files sorted by UTF-8 bytes, null for another tenant', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const [x, y] = descendingBlobs(2);
        await commit(a.id, x);
        await commit(a.id, y);
        const files = AWKWARD_PATHS.map((path, i) => (i % 2 ? file(path, x, 'text/plain') : file(path, y)));
        const { id } = await openSession(a.id, files);
        const completedAt = at(1);
        await store.completeSession(a.id, id, MANIFEST_ID, completedAt);

        const manifest = await store.getManifest(a.id, MANIFEST_ID);
        const sortedFiles = utf8Sorted(AWKWARD_PATHS).map((path) => files.find((f) => f.path === path));
        expect(manifest).toEqual({
          manifestId: MANIFEST_ID,
          createdAt: completedAt,
          fileCount: files.length,
          totalBytes: files.reduce((sum, f) => sum + f.size, 0),
          files: sortedFiles,
        });
        expect(manifest?.files.find((f) => f.sha256 === y.sha256)).not.toHaveProperty('mime');
        expect(await store.getManifest(b.id, MANIFEST_ID)).toBeNull();
        expect(await store.getManifest(a.id, hex('no such manifest'))).toBeNull();
      });
    });

    describe('listing manifests', () => {
      /** Completes one manifest per (id seed, time offset) for the tenant; returns them as listManifests reports them. */
      async function manifestsAt(tenantId: string, entries: ReadonlyArray<readonly [string, number]>) {
        const [x] = descendingBlobs(1);
        await commit(tenantId, x);
        const made = [];
        for (const [seed, offset] of entries) {
          const { id } = await openSession(tenantId, [file(`${seed}.txt`, x)]);
          const outcome = await store.completeSession(tenantId, id, hex(seed), at(offset));
          if (outcome.kind !== 'completed') throw new Error(`not completed: ${outcome.kind}`);
          made.push(outcome.manifest);
        }
        return made;
      }

      it('lists the tenant’s manifests newest first, ties by manifest id descending, page after page', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const made = await manifestsAt(a.id, [
          ['m1', 1],
          ['m2', 5],
          ['m3', 3],
          ['m4', 5],
          ['m5', 5],
          ['m6', 2],
        ]);
        await manifestsAt(b.id, [['other', 4]]);
        const newestFirst = [...made].sort((p, q) =>
          p.createdAt === q.createdAt ? (p.manifestId < q.manifestId ? 1 : -1) : p.createdAt < q.createdAt ? 1 : -1,
        );
        expect(await store.listManifests(a.id, { limit: 100 })).toEqual(newestFirst);

        const paged = [];
        let after: { createdAt: string; manifestId: string } | undefined;
        for (;;) {
          const page = await store.listManifests(a.id, { limit: 2, after });
          paged.push(...page);
          const last = page.at(-1);
          if (!last) break;
          after = { createdAt: last.createdAt, manifestId: last.manifestId };
        }
        expect(paged).toEqual(newestFirst);
        expect(await store.listManifests(b.id, { limit: 100 })).toHaveLength(1);
        expect(await store.listManifests((await store.ensureTenant('c')).id, { limit: 100 })).toEqual([]);
      });

      it('a page after a position keeps its place when newer manifests arrive meanwhile', async () => {
        const a = await store.ensureTenant('a');
        const made = await manifestsAt(a.id, [
          ['old1', 1],
          ['old2', 2],
          ['old3', 3],
        ]);
        const first = await store.listManifests(a.id, { limit: 1 });
        expect(first).toEqual([made[2]]);
        await manifestsAt(a.id, [['newer', 10]]);
        const after = { createdAt: first[0].createdAt, manifestId: first[0].manifestId };
        expect(await store.listManifests(a.id, { limit: 10, after })).toEqual([made[1], made[0]]);
      });
    });

    describe('garbage collection', () => {
      it('tombstoneGarbage tombstones unreferenced, untouched blobs and orphans, and keeps referenced or recent ones', async () => {
        const a = await store.ensureTenant('a');
        const b = await store.ensureTenant('b');
        const [garbage, inManifest, inOpenSession, inExpiredSession, recent] = descendingBlobs(5);
        const orphan = blob('orphan', 0);
        const old = at(-2 * HOUR);
        const cutoff = at(-HOUR);
        const now = at(0);
        for (const x of [garbage, inManifest, inOpenSession, inExpiredSession]) await commit(a.id, x, old);
        await commit(b.id, garbage, old);
        await commit(a.id, recent, now);

        const aborted = await openSession(a.id, [file('g', garbage)]);
        await store.abortSession(a.id, aborted.id, at(0));
        const completed = await openSession(a.id, [file('m', inManifest)]);
        await store.completeSession(a.id, completed.id, MANIFEST_ID, old);
        await openSession(a.id, [file('s', inOpenSession)], at(HOUR));
        await openSession(a.id, [file('e', inExpiredSession)], now);

        const doomed = [garbage, inExpiredSession, orphan].map((x) => x.sha256).sort();
        expect((await store.tombstoneGarbage(cutoff, [orphan.sha256], now)).sort()).toEqual(doomed);

        expect(await store.tenantBlob(a.id, garbage.sha256)).toBeUndefined();
        expect(await store.tenantBlob(b.id, garbage.sha256)).toBeUndefined();
        expect(await store.missingBlobs(a.id, aborted.id)).toEqual([garbage.sha256]);
        expect((await openSession(b.id, [file('again', garbage)])).missing).toEqual([garbage.sha256]);
        for (const kept of [inManifest, inOpenSession, recent]) expect(await store.tenantBlob(a.id, kept.sha256)).toBeDefined();
        const everyBlob = [garbage, inManifest, inOpenSession, inExpiredSession, recent, orphan].map((x) => x.sha256);
        expect(await store.knownBlobs([...everyBlob, hex('never seen')])).toEqual(new Set(everyBlob));

        // Earlier runs' tombstones are answered again until forgotten.
        expect((await store.tombstoneGarbage(cutoff, [], now)).sort()).toEqual(doomed);
      });

      it('startBlobCommit of a tombstoned blob throws storage_unavailable, so its bytes are never committed', async () => {
        const a = await store.ensureTenant('a');
        const [x] = descendingBlobs(1);
        await commit(a.id, x, at(-2 * HOUR));
        expect(await store.tombstoneGarbage(at(-HOUR), [], at(0))).toEqual([x.sha256]);

        let commits = 0;
        const attempt = commitBlob(store, { tenantId: a.id, sha256: x.sha256, size: x.size, mime: null, now: at(0) }, async () => {
          commits += 1;
        });
        await expect(attempt).rejects.toBeInstanceOf(AppError);
        await expect(attempt).rejects.toMatchObject({ code: 'storage_unavailable' });
        expect(commits).toBe(0);
        expect(await store.tenantBlob(a.id, x.sha256)).toBeUndefined();
      });

      describe('a collection between startBlobCommit and recordBlobs (the bytes went to their key in between)', () => {
        const recordOf = (tenantId: string, x: { sha256: string; size: number }) => ({
          tenantId,
          sha256: x.sha256,
          size: x.size,
          mime: null,
          now: at(0),
        });

        it('refuses a blob tombstoned since its ticket, recording nothing', async () => {
          const a = await store.ensureTenant('a');
          const b = await store.ensureTenant('b');
          const [x] = descendingBlobs(1);
          await commit(a.id, x, at(-2 * HOUR));
          const ticket = await store.startBlobCommit(x.sha256);
          expect(await store.tombstoneGarbage(at(-HOUR), [], at(0))).toEqual([x.sha256]);

          const [result] = await store.recordBlobs([{ ...recordOf(b.id, x), ticket }]);
          expect(result).toMatchObject({ error: expect.objectContaining({ code: 'storage_unavailable' }) });
          expect(await store.tenantBlob(b.id, x.sha256)).toBeUndefined();
        });

        it('refuses a blob whose row a collection tombstoned and forgot since its ticket, and accepts it with a new ticket', async () => {
          const a = await store.ensureTenant('a');
          const b = await store.ensureTenant('b');
          const [x, orphan] = descendingBlobs(2);
          await commit(a.id, x, at(-2 * HOUR));
          const xTicket = await store.startBlobCommit(x.sha256);
          const orphanTicket = await store.startBlobCommit(orphan.sha256);
          expect((await store.tombstoneGarbage(at(-HOUR), [orphan.sha256], at(0))).sort()).toEqual([x.sha256, orphan.sha256].sort());
          await store.forgetBlobs([x.sha256, orphan.sha256]);

          const refused = await store.recordBlobs([
            { ...recordOf(b.id, x), ticket: xTicket },
            { ...recordOf(b.id, orphan), ticket: orphanTicket },
          ]);
          expect(refused).toEqual([
            { error: expect.objectContaining({ code: 'storage_unavailable' }) },
            { error: expect.objectContaining({ code: 'storage_unavailable' }) },
          ]);
          expect(await store.knownBlobs([x.sha256, orphan.sha256])).toEqual(new Set());
          expect(await store.tenantBlob(b.id, x.sha256)).toBeUndefined();

          const fresh = await store.startBlobCommit(x.sha256);
          expect(await store.recordBlobs([{ ...recordOf(b.id, x), ticket: fresh }])).toEqual([{ alreadyPresent: false }]);
        });

        it('accepts a new blob when the collections in between tombstoned nothing', async () => {
          const a = await store.ensureTenant('a');
          const [x] = descendingBlobs(1);
          const ticket = await store.startBlobCommit(x.sha256);
          expect(await store.tombstoneGarbage(at(-HOUR), [], at(0))).toEqual([]);
          expect(await store.recordBlobs([{ ...recordOf(a.id, x), ticket }])).toEqual([{ alreadyPresent: false }]);
          expect(await store.tenantBlob(a.id, x.sha256)).toEqual({ mime: null, size: x.size });
        });
      });

      it('forgetBlobs deletes tombstoned rows only, after which the blob can be committed afresh', async () => {
        const a = await store.ensureTenant('a');
        const [garbage, live] = descendingBlobs(2);
        await commit(a.id, garbage, at(-2 * HOUR));
        await commit(a.id, live, at(0));
        const orphan = blob('orphan', 0);
        await store.tombstoneGarbage(at(-HOUR), [orphan.sha256], at(0));

        await store.forgetBlobs([garbage.sha256, live.sha256, orphan.sha256]);
        expect(await store.knownBlobs([garbage.sha256, live.sha256, orphan.sha256])).toEqual(new Set([live.sha256]));
        expect(await store.tenantBlob(a.id, live.sha256)).toBeDefined();
        expect(await store.tombstoneGarbage(at(-HOUR), [], at(0))).toEqual([]);
        expect(await commit(a.id, garbage)).toBe(false);
        expect(await store.tenantBlob(a.id, garbage.sha256)).toEqual({ mime: null, size: garbage.size });
      });

      it('purgeSessions deletes sessions finished before the cutoff with their lists, keeping open ones and manifests', async () => {
        const a = await store.ensureTenant('a');
        const [x, y] = descendingBlobs(2);
        await commit(a.id, x);
        const completed = await openSession(a.id, [file('x', x)]);
        await store.completeSession(a.id, completed.id, MANIFEST_ID, at(0));
        const aborted = await openSession(a.id, [file('y', y)]);
        await store.abortSession(a.id, aborted.id, at(0));
        const expired = await openSession(a.id, [file('y', y)], at(HOUR));
        const open = await openSession(a.id, [file('y', y)], at(3 * HOUR));
        const many = await Promise.all(Array.from({ length: 120 }, () => openSession(a.id, [file('y', y)], at(HOUR))));
        for (const { id } of many) await store.abortSession(a.id, id, at(HOUR));

        // Finished at 0 (completed, aborted) and at HOUR (expired at its expiry; the 120 aborted then).
        expect(await store.expireSessions(at(2 * HOUR))).toBe(1);
        expect(await store.purgeSessions(at(0))).toBe(0);
        expect(await store.purgeSessions(at(1))).toBe(2);
        expect(await store.getSession(a.id, completed.id)).toBeNull();
        expect(await store.getSession(a.id, aborted.id)).toBeNull();
        expect(await store.missingBlobs(a.id, aborted.id)).toEqual([]);
        expect(await store.getSession(a.id, expired.id)).toMatchObject({ state: 'expired' });
        expect(await store.missingBlobs(a.id, expired.id)).toEqual([y.sha256]);

        expect(await store.purgeSessions(at(2 * HOUR))).toBe(121);
        expect(await store.sessionFiles(expired.id)).toEqual([]);
        expect(await store.getSession(a.id, open.id)).toMatchObject({ state: 'open' });
        expect(await store.missingBlobs(a.id, open.id)).toEqual([y.sha256]);
        expect(await store.getManifest(a.id, MANIFEST_ID)).toMatchObject({
          manifestId: MANIFEST_ID,
          files: [{ path: 'x', sha256: x.sha256 }],
        });
      });

      it('knownBlobs answers for more sha256s than one query batch holds', async () => {
        const a = await store.ensureTenant('a');
        const [x, y] = descendingBlobs(2);
        await commit(a.id, x);
        await commit(a.id, y);
        const unknown = Array.from({ length: 5000 }, (_, i) => hex(`unknown ${i}`));
        expect(await store.knownBlobs([...unknown, x.sha256, y.sha256])).toEqual(new Set([x.sha256, y.sha256]));
        expect(await store.knownBlobs([])).toEqual(new Set());
      });
    });
  });
}

/** Paths whose UTF-8 byte order differs from JavaScript's UTF-16 order and from most collations. */
const AWKWARD_PATHS = ['b.txt', 'B.txt', 'a/z.txt', 'a.txt', 'é.txt', 'e.txt', '\uFF21.txt', '\u{1F600}.txt', 'a-b', 'a_b', 'a b'];

const MANIFEST_ID = hex('manifest');

function hex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

function blob(seed: string, size: number): SessionBlob {
  return { sha256: hex(seed), size, mime: null };
}

/** Blobs whose sha256s sort in descending order, with distinct sizes. */
function descendingBlobs(count: number): SessionBlob[] {
  const blobs = Array.from({ length: count }, (_, i) => blob(`blob ${i} ${Math.random()}`, 100 + i * 7));
  return blobs.sort((p, q) => (p.sha256 < q.sha256 ? 1 : -1));
}

function file(path: string, source: Pick<SessionBlob, 'sha256' | 'size'>, mime?: string): FileEntry {
  return mime === undefined ? { path, sha256: source.sha256, size: source.size } : { path, sha256: source.sha256, size: source.size, mime };
}

function utf8Sorted(paths: readonly string[]): string[] {
  return [...paths].sort((p, q) => Buffer.compare(Buffer.from(p, 'utf8'), Buffer.from(q, 'utf8')));
}

/** An ISO timestamp `offsetMs` from a fixed instant, so tests can place times before and after each other. */
function at(offsetMs: number): string {
  return new Date(Date.UTC(2030, 0, 1) + offsetMs).toISOString();
}

/** A session as the service builds it: distinct blobs in manifest order, the first path's mime. */
function newSession(tenantId: string, files: readonly FileEntry[], expiresAt: string): NewSession {
  const blobs = new Map<string, SessionBlob>();
  for (const f of files) if (!blobs.has(f.sha256)) blobs.set(f.sha256, { sha256: f.sha256, size: f.size, mime: f.mime ?? null });
  return {
    id: `us_${hex(`${Math.random()}`).slice(0, 24)}`,
    tenantId,
    uploadTokenHash: hex(`upload token ${Math.random()}`),
    createdAt: at(-1000),
    expiresAt,
    files,
    blobs: [...blobs.values()],
    totalBytes: [...blobs.values()].reduce((sum, b) => sum + b.size, 0),
  };
}
