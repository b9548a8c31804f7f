// The conformance suite of the resumable uploads' partial store (PartialUploadStore), run on every blob
// store that has one: bytes written over several writers, each continuing from the state the previous one
// left (as the metadata row keeps it), become visible at the blob's key only when committed.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { blobKey } from '../../src/domain/blob-key.js';
import type { BlobStore } from '../../src/domain/ports/blob-store.js';
import type { PartialCheckpoint, PartialUpload, PartialUploadStore } from '../../src/domain/ports/resumable-uploads.js';
import { sha256Of } from '../support/api.js';
import { chunked, readAll } from './blob-store.suite.js';

export interface PartialUploadStoreFixture {
  readonly blobs: BlobStore;
  readonly partials: PartialUploadStore;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;

/** What the metadata row would hold: the upload advanced by a kept checkpoint. */
function advanced(upload: PartialUpload, offset: number, checkpoint: PartialCheckpoint): PartialUpload {
  return { ...upload, offset, storeState: checkpoint.storeState, tail: checkpoint.tail };
}

export function describePartialUploadStore(name: string, make: () => Promise<PartialUploadStoreFixture>): void {
  describe(`PartialUploadStore conformance: ${name}`, () => {
    let fixture: PartialUploadStoreFixture | undefined;
    const open = async () => {
      fixture = await make();
      return fixture;
    };
    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    async function start(partials: PartialUploadStore, bytes: Buffer): Promise<PartialUpload> {
      const id = `tus_${randomBytes(8).toString('hex')}`;
      const key = blobKey(sha256Of(bytes));
      const storeState = await partials.create(id, key, bytes.length);
      return { id, key, length: bytes.length, offset: 0, storeState, tail: null };
    }

    /** One PATCH: its bytes written in 64 KiB chunks, then flushed (or finished when they are the last). */
    async function write(partials: PartialUploadStore, upload: PartialUpload, bytes: Buffer): Promise<PartialUpload> {
      const writer = await partials.openWriter(upload);
      let latest = upload;
      let offset = upload.offset;
      for await (const chunk of chunked(bytes)) {
        offset += chunk.length;
        const checkpoint = await writer.write(chunk);
        if (checkpoint) latest = advanced(upload, offset, checkpoint);
      }
      expect(latest.offset).toBeLessThanOrEqual(offset);
      return advanced(upload, offset, await writer.flush());
    }

    it('joins PATCHes of any size, each continued by a new writer, and shows nothing at the key until commit', async () => {
      const { blobs, partials } = await open();
      const bytes = randomBytes(19 * MiB + 12_345);
      let upload = await start(partials, bytes);
      // Sizes around S3's 5 MiB part minimum: a tail below it, a PATCH that crosses a part, a tiny one.
      for (const [from, to] of [
        [0, 3 * MiB],
        [3 * MiB, 3 * MiB + 7],
        [3 * MiB + 7, 11 * MiB],
      ]) {
        upload = await write(partials, upload, bytes.subarray(from, to));
        expect(upload.offset).toBe(to);
      }
      const writer = await partials.openWriter(upload);
      for await (const chunk of chunked(bytes.subarray(11 * MiB))) await writer.write(chunk);
      const staged = await writer.finish();
      expect(await blobs.stat(upload.key)).toBeNull();
      expect(await staged.commit()).toEqual({ created: true });
      await staged.discard();
      expect((await readAll(await blobs.read(upload.key))).equals(bytes)).toBe(true);
    });

    it('overwrites bytes a writer left past the kept offset (a PATCH cut before its answer)', async () => {
      const { blobs, partials } = await open();
      const bytes = randomBytes(6 * MiB + 99);
      let upload = await start(partials, bytes);
      upload = await write(partials, upload, bytes.subarray(0, 1000));
      const lost = await partials.openWriter(upload);
      await lost.write(randomBytes(2 * MiB));
      await lost.abandon();
      const writer = await partials.openWriter(upload);
      for await (const chunk of chunked(bytes.subarray(1000))) await writer.write(chunk);
      const staged = await writer.finish();
      expect((await staged.commit()).created).toBe(true);
      await staged.discard();
      expect(sha256Of(await readAll(await blobs.read(upload.key)))).toBe(sha256Of(bytes));
    });

    it('drops an upload: nothing is ever visible at its key, and dropping again is no error', async () => {
      const { blobs, partials } = await open();
      const bytes = randomBytes(2 * MiB);
      const upload = await write(partials, await start(partials, bytes), bytes.subarray(0, MiB));
      await partials.drop(upload);
      await partials.drop(upload);
      expect(await blobs.stat(upload.key)).toBeNull();
    });

    it('commits as "already there" when the key holds the blob, leaving it as it was', async () => {
      const { blobs, partials } = await open();
      const bytes = randomBytes(MiB + 3);
      for (const expected of [true, false]) {
        const upload = await start(partials, bytes);
        const writer = await partials.openWriter(upload);
        for await (const chunk of chunked(bytes)) await writer.write(chunk);
        const staged = await writer.finish();
        expect(await staged.commit()).toEqual({ created: expected });
        await staged.discard();
      }
      expect((await readAll(await blobs.read(blobKey(sha256Of(bytes))))).equals(bytes)).toBe(true);
    });
  });
}
