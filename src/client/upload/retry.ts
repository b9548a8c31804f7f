// Retries what a later try can change (no answer, 5xx, 408, 429) with exponential backoff and full jitter, waiting
// at least what Retry-After asks, for a window of time rather than a count: a server restarting for half a minute
// must not end a long upload.
import { PressCloudApiError, PressCloudNetworkError, isTlsMismatch } from '../errors.js';

/** How long a failing operation is retried before giving up. */
export const DEFAULT_RETRY_WINDOW_MS = 60_000;
export const RETRY_BASE_DELAY_MS = 250;
export const RETRY_MAX_DELAY_MS = 20_000;
/** A server asking for a longer pause than this is treated as this; an upload should not sleep for hours. */
export const MAX_RETRY_AFTER_MS = 60_000;

export interface RetryPolicy {
  /** Retries stop once this long has passed since the operation's first failure. Default 60 s. */
  windowMs?: number;
  /** Total tries, the first one included; no cap when undefined (the window alone decides). */
  attempts?: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Injectable for tests; Math.random otherwise. */
  random?: () => number;
  /** Injectable for tests; Date.now otherwise. */
  now?: () => number;
}

export interface RetryNotice {
  error: unknown;
  /** The attempt that just failed, from 1. */
  attempt: number;
  delayMs: number;
}

export function defaultRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { windowMs: DEFAULT_RETRY_WINDOW_MS, baseDelayMs: RETRY_BASE_DELAY_MS, maxDelayMs: RETRY_MAX_DELAY_MS, ...overrides };
}

/**
 * Network failures (stalls included), 5xx, 408 and 429: the only answers a later try can change. A server that does
 * not speak TLS at an https:// URL will not start to.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof PressCloudNetworkError) return !isTlsMismatch(err);
  if (err instanceof PressCloudApiError) return err.status >= 500 || err.status === 408 || err.status === 429;
  return false;
}

/** Full jitter (uniform in [0, cap]) spreads retries of many parallel uploads instead of synchronising them. */
export function backoffDelayMs(failedAttempt: number, policy: RetryPolicy, retryAfterMs?: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  const jittered = Math.round((policy.random ?? Math.random)() * cap);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(Math.min(retryAfterMs, MAX_RETRY_AFTER_MS), jittered);
}

/**
 * Runs `operation` until it succeeds, fails with what no retry can change, runs out of attempts, or keeps failing
 * past the window (a wait that would end past the window is not started). `signal` ends the retries, and the wait
 * between two tries, with its reason.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (notice: RetryNotice) => void,
  signal?: AbortSignal,
): Promise<T> {
  const now = policy.now ?? Date.now;
  let firstFailureAt: number | undefined;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      signal?.throwIfAborted();
      const failedAt = now();
      firstFailureAt ??= failedAt;
      if (!isRetryable(error) || (policy.attempts !== undefined && attempt >= policy.attempts)) throw error;
      const retryAfterMs = error instanceof PressCloudApiError ? error.retryAfterMs : undefined;
      const delayMs = backoffDelayMs(attempt, policy, retryAfterMs);
      const windowMs = policy.windowMs ?? DEFAULT_RETRY_WINDOW_MS;
      if (failedAt + delayMs - firstFailureAt > windowMs) throw error;
      onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs, signal);
    }
  }
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      if (signal?.aborted) reject(signal.reason);
      else resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
