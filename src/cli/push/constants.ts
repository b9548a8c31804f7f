// Limits and defaults of `presscloud push`, in one place.

/** Files hashed at once: bounds open file descriptors while keeping the disk busy. */
export const HASH_CONCURRENCY = 16;

export const DEFAULT_UPLOAD_CONCURRENCY = 8;
export const MAX_UPLOAD_CONCURRENCY = 64;

export const DEFAULT_ATTEMPTS = 5;
export const RETRY_BASE_DELAY_MS = 250;
export const RETRY_MAX_DELAY_MS = 20_000;
/** A server asking for a longer pause than this is treated as this; a push should not sleep for hours. */
export const MAX_RETRY_AFTER_MS = 60_000;

export const DEFAULT_STALL_TIMEOUT_SECONDS = 30;

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

/** Redraw rate of the live progress line. */
export const PROGRESS_REDRAW_MS = 100;
/** Interval of the plain progress lines written when stderr is not a terminal. */
export const PLAIN_PROGRESS_INTERVAL_MS = 10_000;
