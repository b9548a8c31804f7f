// Limits and defaults of `presscloud push` alone; those shared with `pull` (retries, stalls, progress, hashing)
// are in ../transfer-common/constants.ts.

export const DEFAULT_UPLOAD_CONCURRENCY = 8;

// The batch limits and session rounds are the upload core's (client/upload/), measured once for every front-end.
export { BATCH_MAX_BYTES, BATCH_MAX_PARTS, SMALL_BLOB_MAX_BYTES } from '../../client/upload/plan.js';

// Blobs of at least this size go through tus (resumable-blob.ts); the page shares the figure.
export { DEFAULT_RESUMABLE_THRESHOLD } from '../../client/upload/resumable.js';

export const SESSION_TTL_MIN_SECONDS = 1;
export const SESSION_TTL_MAX_SECONDS = 604_800;

export { ALWAYS_SKIPPED_DIRECTORIES, IGNORE_FILE } from '../../domain/push-exclusions.js';

/** How long an interrupted dry run waits for the abort of its session before leaving it to expire. */
export const ABANDON_TIMEOUT_MS = 5000;
