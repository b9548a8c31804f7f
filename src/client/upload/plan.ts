// How a round's blobs travel: small ones grouped into multipart batches, large ones one PUT each, and the largest,
// when a resumable uploader is plugged in, through it. The limits come from a measurement (README "Push a
// directory"): below them a request's fixed cost dominates.

/**
 * Blobs up to this size travel in multipart batches, larger ones one PUT each. Measured (4 KiB to 1 MiB blobs,
 * 8 requests at once): batches of 4 KiB blobs move ~3× the blobs a second that PUTs do, 64 KiB ~2.5×, 256 KiB
 * ~1.5×; at 1 MiB single PUTs win.
 */
export const SMALL_BLOB_MAX_BYTES = 256 * 1024;
/** A batch closes at this many bytes of blobs or this many parts, far below the server's default limits (256 MiB, 1,000). */
export const BATCH_MAX_BYTES = 4 * 1024 * 1024;
export const BATCH_MAX_PARTS = 200;

export interface PlanLimits {
  /** False once the server refused a batch: every blob goes alone. */
  batches: boolean;
  /** Blobs larger than this go through the resumable uploader; undefined when none is plugged in. */
  resumableAboveBytes?: number;
}

export type UploadUnit<B> = { kind: 'put'; blob: B } | { kind: 'batch'; blobs: B[] } | { kind: 'resumable'; blob: B };

/** Units in the order of `blobs`; a batch is closed when one more part would pass either of its limits. */
export function planUploads<B extends { readonly size: number }>(blobs: readonly B[], limits: PlanLimits): UploadUnit<B>[] {
  const units: UploadUnit<B>[] = [];
  let open: { kind: 'batch'; blobs: B[] } | undefined;
  let openBytes = 0;
  for (const blob of blobs) {
    if (limits.resumableAboveBytes !== undefined && blob.size > limits.resumableAboveBytes) {
      units.push({ kind: 'resumable', blob });
      continue;
    }
    if (!limits.batches || blob.size > SMALL_BLOB_MAX_BYTES) {
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
