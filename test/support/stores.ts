// Test conveniences over the storage ports that production does not need, one copy for every backend:
// a whole put (stage, commit, discard) and the commit of a single blob's rows.
import type { ExpectedBlob } from '../../src/domain/blob-verifier.js';
import type { BlobStore } from '../../src/domain/ports/blob-store.js';
import type { BlobIngester, BlobRecord } from '../../src/domain/ports/metadata-store.js';

/** Stages `body` for `key` and commits it: created false when the key already held the blob. */
export async function storeBlob(
  store: BlobStore,
  key: string,
  body: AsyncIterable<Buffer>,
  expected: ExpectedBlob,
): Promise<{ created: boolean }> {
  const staged = await store.stage(key, body, expected);
  try {
    return await staged.commit();
  } finally {
    await staged.discard();
  }
}

/** One blob committed as the service does it (startBlobCommit, the bytes, recordBlobs), throwing its error. */
export async function commitBlob(
  metadata: BlobIngester,
  record: BlobRecord,
  commitBytes: () => Promise<unknown> = async () => undefined,
): Promise<{ alreadyPresent: boolean }> {
  const ticket = await metadata.startBlobCommit(record.sha256);
  await commitBytes();
  const [result] = await metadata.recordBlobs([{ ...record, ticket }]);
  if ('error' in result) throw result.error;
  return result;
}
