// Limits and defaults shared by the commands that move files (`push`, `pull`), in one place.

/** Files hashed at once: bounds open file descriptors while keeping the disk busy. */
export const HASH_CONCURRENCY = 16;

/** Requests in flight at once, at most (`--concurrency`). */
export const MAX_CONCURRENCY = 64;
/** `pull`'s default; `push` has its own in push/constants.ts. */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 8;

/** Attempts of a `manifests` call; `push` and `pull` retry for a window of time instead (`--retry-window`). */
export const DEFAULT_ATTEMPTS = 5;
/** `--retry-window`: how long a failing request is retried (the backoff itself is client/upload/retry.ts). */
export const DEFAULT_RETRY_WINDOW_SECONDS = 60;

export const DEFAULT_STALL_TIMEOUT_SECONDS = 30;

/** Redraw rate of the live progress line. */
export const PROGRESS_REDRAW_MS = 100;
/** Interval of the plain progress lines written when stderr is not a terminal. */
export const PLAIN_PROGRESS_INTERVAL_MS = 10_000;
