// How a round's blobs travel: small ones grouped into multipart batches, large ones one PUT each. The limits
// come from a measurement (README "Push a directory"): below them a request's fixed cost dominates.
import { BATCH_MAX_BYTES, BATCH_MAX_PARTS, SMALL_BLOB_MAX_BYTES } from './constants.js';
import type { LocalBlob } from './local-manifest.js';

export type UploadUnit = { kind: 'put'; blob: LocalBlob } | { kind: 'batch'; blobs: LocalBlob[] };

/** Units in the order of `blobs`; a batch is closed when one more part would pass either of its limits. */
export function planUploads(blobs: readonly LocalBlob[], batches: boolean): UploadUnit[] {
  const units: UploadUnit[] = [];
  let open: { kind: 'batch'; blobs: LocalBlob[] } | undefined;
  let openBytes = 0;
  for (const blob of blobs) {
    if (!batches || blob.size > SMALL_BLOB_MAX_BYTES) {
      units.push({ kind: 'put', blob });
      continue;
    }
    if (open === undefined || open.blobs.length >= BATCH_MAX_PARTS || openBytes + blob.size > BATCH_MAX_BYTES) {
      open = { kind: 'batch', blobs: [] };
      openBytes = 0;
      units.push(open);
    }
    open.blobs.push(blob);
    openBytes += blob.size;
  }
  // A batch of one is a PUT with extra framing.
  return units.map((unit) => (unit.kind === 'batch' && unit.blobs.length === 1 ? { kind: 'put', blob: unit.blobs[0] } : unit));
}
