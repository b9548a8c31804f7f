// Limits and defaults of `presscloud push` alone; those shared with `pull` (retries, stalls, progress, hashing)
// are in ../transfer-common/constants.ts.

export const DEFAULT_UPLOAD_CONCURRENCY = 8;

/**
 * Blobs up to this size travel in multipart batches, larger ones one PUT each. Measured (4 KiB to 1 MiB blobs,
 * 8 requests at once): batches of 4 KiB blobs move ~3× the blobs a second that PUTs do, 64 KiB ~2.5×, 256 KiB
 * ~1.5×; at 1 MiB single PUTs win.
 */
export const SMALL_BLOB_MAX_BYTES = 256 * 1024;
/** A batch closes at this many bytes of blobs or this many parts, far below the server's default limits (256 MiB, 1,000). */
export const BATCH_MAX_BYTES = 4 * 1024 * 1024;
export const BATCH_MAX_PARTS = 200;

/**
 * Blobs of at least this size go through tus (resumable-blob.ts), so a killed push resumes them; smaller ones are
 * one PUT, whose retry from zero costs little. Not measured yet: chosen so that a lost upload costs seconds on a
 * fast link.
 */
export const DEFAULT_RESUMABLE_THRESHOLD = 64 * 1024 * 1024;

/** Fresh sessions opened in a row without uploading anything before giving up (the TTL is too short to make progress). */
export const MAX_FRUITLESS_SESSION_RENEWALS = 3;
/** Rounds of "complete answered blobs_missing, upload those" before giving up. */
export const MAX_COMPLETE_ROUNDS = 5;

export const SESSION_TTL_MIN_SECONDS = 1;
export const SESSION_TTL_MAX_SECONDS = 604_800;

export const IGNORE_FILE = '.presscloudignore';
/** Never uploaded, whatever the ignore file says. */
export const ALWAYS_SKIPPED_DIRECTORIES = new Set(['.git']);

/** How long an interrupted push waits for the abort of its session before leaving it to expire. */
export const ABANDON_TIMEOUT_MS = 5000;

/** A session id no server issues: asking for it checks the URL and the token and nothing else. */
export const ACCESS_CHECK_SESSION_ID = 'presscloud-push-access-check';
