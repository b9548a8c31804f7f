// The BlobStore contract, run against every backend: describeBlobStore('fs', makeFs) in one small file each.
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobKey } from '../../src/domain/blob-key.js';
import type { ExpectedBlob } from '../../src/domain/blob-verifier.js';
import { AppError } from '../../src/domain/errors.js';
import type { ErrorCode } from '../../src/domain/errors.js';
import type { BlobStore, ListedBlob } from '../../src/domain/ports/blob-store.js';
import { storeBlob } from '../support/stores.js';

export interface BlobStoreFixture {
  /** A fresh, empty store; the suite calls init() and, at the end, close() then cleanup(). */
  readonly store: BlobStore;
  /** Removes everything the store kept (its directory, its prefix). */
  cleanup(): Promise<void>;
}

export interface TestBlob {
  readonly bytes: Buffer;
  readonly key: string;
  readonly expected: ExpectedBlob;
}

export function testBlob(bytes: Buffer): TestBlob {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { bytes, key: blobKey(sha256), expected: { sha256, size: bytes.length } };
}

/** The bytes as a client would send them: uneven chunks, each arriving on a later tick. */
export async function* chunked(bytes: Buffer, chunkSize = 64 * 1024): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield bytes.subarray(offset, offset + chunkSize);
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function listAll(store: BlobStore): Promise<ListedBlob[]> {
  const listed: ListedBlob[] = [];
  for await (const blob of store.list()) listed.push(blob);
  return listed.sort((a, b) => a.key.localeCompare(b.key));
}

export async function expectAppError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error, `expected AppError ${code}`).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
}

function withOneByteFlipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] ^= 0xff;
  return copy;
}

export function describeBlobStore(name: string, make: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore conformance: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
      await store.init();
    });

    afterEach(async () => {
      await store.close();
      await fixture.cleanup();
    });

    async function expectNothingAt(key: string): Promise<void> {
      expect(await store.stat(key)).toBeNull();
      await expectAppError(store.read(key), 'blob_not_found');
      expect((await listAll(store)).map((listed) => listed.key)).not.toContain(key);
    }

    it('puts a blob, then stat and read give back its exact bytes', async () => {
      const blob = testBlob(randomBytes(100_000));
      expect(await storeBlob(store, blob.key, chunked(blob.bytes, 7_000), blob.expected)).toEqual({ created: true });
      expect(await store.stat(blob.key)).toEqual({ size: blob.bytes.length });
      expect((await readAll(await store.read(blob.key))).equals(blob.bytes)).toBe(true);
    });

    it('is idempotent: a second put reports created false and leaves one object', async () => {
      const blob = testBlob(randomBytes(10_000));
      await storeBlob(store, blob.key, chunked(blob.bytes), blob.expected);
      expect(await storeBlob(store, blob.key, chunked(blob.bytes), blob.expected)).toEqual({ created: false });
      expect((await listAll(store)).map(({ key, size }) => ({ key, size }))).toEqual([{ key: blob.key, size: blob.bytes.length }]);
      expect((await readAll(await store.read(blob.key))).equals(blob.bytes)).toBe(true);
    });

    it('still verifies the body of a put to a key that is already there, and keeps the stored bytes', async () => {
      const blob = testBlob(randomBytes(10_000));
      await storeBlob(store, blob.key, chunked(blob.bytes), blob.expected);
      await expectAppError(storeBlob(store, blob.key, chunked(withOneByteFlipped(blob.bytes, 5)), blob.expected), 'digest_mismatch');
      await expectAppError(storeBlob(store, blob.key, chunked(blob.bytes.subarray(1)), blob.expected), 'size_mismatch');
      expect((await readAll(await store.read(blob.key))).equals(blob.bytes)).toBe(true);
    });

    it('lets concurrent puts of one blob all succeed, leaving exactly one object with its bytes', async () => {
      const blob = testBlob(randomBytes(200_000));
      const results = await Promise.all(
        Array.from({ length: 8 }, () => storeBlob(store, blob.key, chunked(blob.bytes, 16_384), blob.expected)),
      );
      expect(results.some((result) => result.created)).toBe(true);
      expect((await listAll(store)).map(({ key, size }) => ({ key, size }))).toEqual([{ key: blob.key, size: blob.bytes.length }]);
      expect((await readAll(await store.read(blob.key))).equals(blob.bytes)).toBe(true);
    });

    // Two sizes: a small body, and one of several write batches (fs) or past one multipart part (S3), so a
    // mismatch found mid-way, after bytes already went out, is covered too.
    for (const size of [150_000, 5 * 1024 * 1024 + 7]) {
      describe(`refuses a body that does not match, keeping nothing (${size} bytes)`, () => {
        const blob = testBlob(randomBytes(size));
        const cases: Array<[string, Buffer, ErrorCode]> = [
          ['one byte short', blob.bytes.subarray(0, -1), 'size_mismatch'],
          ['half of it', blob.bytes.subarray(0, size >> 1), 'size_mismatch'],
          ['one byte long', Buffer.concat([blob.bytes, Buffer.from([0])]), 'size_mismatch'],
          ['twice as long', Buffer.concat([blob.bytes, blob.bytes]), 'size_mismatch'],
          ['empty', Buffer.alloc(0), 'size_mismatch'],
          ['its last byte changed', withOneByteFlipped(blob.bytes, blob.bytes.length - 1), 'digest_mismatch'],
          ['its first byte changed', withOneByteFlipped(blob.bytes, 0), 'digest_mismatch'],
          ['a byte in the middle changed', withOneByteFlipped(blob.bytes, size >> 1), 'digest_mismatch'],
        ];
        for (const [what, body, code] of cases) {
          it(`${what}: ${code}`, async () => {
            await expectAppError(storeBlob(store, blob.key, chunked(body), blob.expected), code);
            await expectNothingAt(blob.key);
            expect(await listAll(store)).toEqual([]);
            // Nothing left behind claims the key: the right bytes still go in.
            expect(await storeBlob(store, blob.key, chunked(blob.bytes), blob.expected)).toEqual({ created: true });
          });
        }
      });
    }

    it('stops when the body fails while the store waits on it (the client went away), and keeps nothing', async () => {
      const blob = testBlob(randomBytes(300_000));
      let goAway!: (err: Error) => void;
      let firstChunkTaken!: () => void;
      const taken = new Promise<void>((resolve) => (firstChunkTaken = resolve));
      async function* stallingBody(): AsyncGenerator<Buffer> {
        yield blob.bytes.subarray(0, 100_000);
        firstChunkTaken();
        // The client stops sending; the store is left waiting until the connection closes.
        await new Promise<never>((_resolve, reject) => (goAway = reject));
      }
      const put = storeBlob(store, blob.key, stallingBody(), blob.expected);
      await taken;
      goAway(Object.assign(new Error('the client went away mid-body'), { code: 'ECONNRESET' }));
      await expect(put).rejects.toThrow('the client went away mid-body');
      await expectNothingAt(blob.key);
      expect(await listAll(store)).toEqual([]);
      expect(await storeBlob(store, blob.key, chunked(blob.bytes), blob.expected)).toEqual({ created: true });
    });

    for (const [size, sent] of [
      [200_000, 100_000],
      [6 * 1024 * 1024, 3 * 1024 * 1024 + 5],
    ]) {
      it(`keeps nothing when the body itself fails mid-way (a connection reset, ${size} bytes)`, async () => {
        const blob = testBlob(randomBytes(size));
        async function* failingBody(): AsyncGenerator<Buffer> {
          yield* chunked(blob.bytes.subarray(0, sent));
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        await expect(storeBlob(store, blob.key, failingBody(), blob.expected)).rejects.toThrow();
        await expectNothingAt(blob.key);
        expect(await listAll(store)).toEqual([]);
        // The hashing state of the failed upload is gone: the same blob goes in whole afterwards.
        expect(await storeBlob(store, blob.key, chunked(blob.bytes), blob.expected)).toEqual({ created: true });
      });
    }

    it('stores the empty blob', async () => {
      const blob = testBlob(Buffer.alloc(0));
      expect(await storeBlob(store, blob.key, chunked(blob.bytes), blob.expected)).toEqual({ created: true });
      expect(await store.stat(blob.key)).toEqual({ size: 0 });
      expect((await readAll(await store.read(blob.key))).length).toBe(0);
      expect((await listAll(store)).map(({ key, size }) => ({ key, size }))).toEqual([{ key: blob.key, size: 0 }]);
    });

    it('reads inclusive byte ranges: the first byte, the middle, the last byte, all of it', async () => {
      const blob = testBlob(randomBytes(1_000));
      await storeBlob(store, blob.key, chunked(blob.bytes), blob.expected);
      for (const [start, end] of [
        [0, 0],
        [1, 1],
        [400, 599],
        [999, 999],
        [0, 999],
        [998, 999],
      ]) {
        const bytes = await readAll(await store.read(blob.key, { start, end }));
        expect(bytes.equals(blob.bytes.subarray(start, end + 1)), `bytes ${start}-${end}`).toBe(true);
      }
    });

    it('answers blob_not_found for a read of an absent key and null for its stat', async () => {
      const { key } = testBlob(randomBytes(10));
      await expectAppError(store.read(key), 'blob_not_found');
      await expectAppError(store.read(key, { start: 0, end: 0 }), 'blob_not_found');
      expect(await store.stat(key)).toBeNull();
    });

    it('deletes a blob, and deleting an absent one is not an error', async () => {
      const kept = testBlob(randomBytes(1_000));
      const deleted = testBlob(randomBytes(1_000));
      await storeBlob(store, kept.key, chunked(kept.bytes), kept.expected);
      await storeBlob(store, deleted.key, chunked(deleted.bytes), deleted.expected);
      await store.delete(deleted.key);
      await expectNothingAt(deleted.key);
      await store.delete(deleted.key);
      await store.delete(testBlob(randomBytes(10)).key);
      expect((await listAll(store)).map((listed) => listed.key)).toEqual([kept.key]);
      expect(await storeBlob(store, deleted.key, chunked(deleted.bytes), deleted.expected)).toEqual({ created: true });
    });

    it('lists every committed blob with its size and modification time', async () => {
      expect(await listAll(store)).toEqual([]);
      const blobs = [testBlob(randomBytes(3_000)), testBlob(randomBytes(1)), testBlob(Buffer.alloc(0)), testBlob(randomBytes(70_000))];
      for (const blob of blobs) await storeBlob(store, blob.key, chunked(blob.bytes), blob.expected);
      const listed = await listAll(store);
      expect(listed.map(({ key, size }) => ({ key, size }))).toEqual(
        blobs.map((blob) => ({ key: blob.key, size: blob.bytes.length })).sort((a, b) => a.key.localeCompare(b.key)),
      );
      for (const { modifiedAt } of listed) {
        expect(modifiedAt).toBeInstanceOf(Date);
        expect(Math.abs(modifiedAt.getTime() - Date.now())).toBeLessThan(10 * 60 * 1000);
      }
    });

    it('streams a body of a few MiB from a generator', async () => {
      const blob = testBlob(randomBytes(4 * 1024 * 1024 + 123));
      expect(await storeBlob(store, blob.key, chunked(blob.bytes, 65_536), blob.expected)).toEqual({ created: true });
      expect(await store.stat(blob.key)).toEqual({ size: blob.bytes.length });
      const read = await readAll(await store.read(blob.key));
      expect(createHash('sha256').update(read).digest('hex')).toBe(blob.expected.sha256);
    });

    describe('stage, then commit or discard', () => {
      it('keeps staged bytes invisible until commit', async () => {
        const blob = testBlob(randomBytes(50_000));
        const staged = await store.stage(blob.key, chunked(blob.bytes), blob.expected);
        try {
          await expectNothingAt(blob.key);
          expect(await listAll(store)).toEqual([]);
          expect(await staged.commit()).toEqual({ created: true });
        } finally {
          await staged.discard();
        }
        expect((await readAll(await store.read(blob.key))).equals(blob.bytes)).toBe(true);
        expect((await listAll(store)).map((listed) => listed.key)).toEqual([blob.key]);
      });

      it('leaves nothing when discarded without a commit, and discard may be repeated', async () => {
        const blob = testBlob(randomBytes(50_000));
        const staged = await store.stage(blob.key, chunked(blob.bytes), blob.expected);
        await staged.discard();
        await staged.discard();
        await expectNothingAt(blob.key);
        expect(await listAll(store)).toEqual([]);
      });

      it('commits a second staging of a blob already there with created false', async () => {
        const blob = testBlob(randomBytes(50_000));
        const first = await store.stage(blob.key, chunked(blob.bytes), blob.expected);
        const second = await store.stage(blob.key, chunked(blob.bytes), blob.expected);
        try {
          expect(await first.commit()).toEqual({ created: true });
          expect(await second.commit()).toEqual({ created: false });
        } finally {
          await first.discard();
          await second.discard();
        }
        expect((await listAll(store)).map(({ key, size }) => ({ key, size }))).toEqual([{ key: blob.key, size: blob.bytes.length }]);
        expect((await readAll(await store.read(blob.key))).equals(blob.bytes)).toBe(true);
      });

      it('throws on a mismatch without staging anything', async () => {
        const blob = testBlob(randomBytes(50_000));
        await expectAppError(store.stage(blob.key, chunked(withOneByteFlipped(blob.bytes, 100)), blob.expected), 'digest_mismatch');
        await expectAppError(store.stage(blob.key, chunked(blob.bytes.subarray(0, 49_999)), blob.expected), 'size_mismatch');
        await expectNothingAt(blob.key);
        expect(await listAll(store)).toEqual([]);
      });
    });

    it('is ready once initialised', async () => {
      await expect(store.checkReady()).resolves.toBeUndefined();
    });
  });
}
