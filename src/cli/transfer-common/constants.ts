// Limits and defaults shared by the commands that move files (`push`, `pull`), in one place.

/** Files hashed at once: bounds open file descriptors while keeping the disk busy. */
export const HASH_CONCURRENCY = 16;

/** Requests in flight at once, at most (`--concurrency`). */
export const MAX_CONCURRENCY = 64;
/** `pull`'s default; `push` has its own in push/constants.ts. */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 8;

export const DEFAULT_ATTEMPTS = 5;
export const RETRY_BASE_DELAY_MS = 250;
export const RETRY_MAX_DELAY_MS = 20_000;
/** A server asking for a longer pause than this is treated as this; a transfer should not sleep for hours. */
export const MAX_RETRY_AFTER_MS = 60_000;

export const DEFAULT_STALL_TIMEOUT_SECONDS = 30;

/** Redraw rate of the live progress line. */
export const PROGRESS_REDRAW_MS = 100;
/** Interval of the plain progress lines written when stderr is not a terminal. */
export const PLAIN_PROGRESS_INTERVAL_MS = 10_000;
