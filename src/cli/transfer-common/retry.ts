// Retries transient failures with exponential backoff and full jitter, waiting at least what Retry-After asks.
import { setTimeout as sleep } from 'node:timers/promises';
import { PressCloudApiError, PressCloudNetworkError, isTlsMismatch } from '../../client/errors.js';
import { MAX_RETRY_AFTER_MS } from './constants.js';

export interface RetryPolicy {
  /** Total tries, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Injectable for tests; Math.random otherwise. */
  random?: () => number;
}

export interface RetryNotice {
  error: unknown;
  /** The attempt that just failed, from 1. */
  attempt: number;
  delayMs: number;
}

/** Network failures (stalls included), 5xx, 408 and 429: the only answers a later try can change. A server that
 * does not speak TLS at an https:// URL will not start to. */
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

/** `signal` (Ctrl-C) ends the retries, and the wait between two tries, with its reason. */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (notice: RetryNotice) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      signal?.throwIfAborted();
      if (attempt >= policy.attempts || !isRetryable(error)) throw error;
      const retryAfterMs = error instanceof PressCloudApiError ? error.retryAfterMs : undefined;
      const delayMs = backoffDelayMs(attempt, policy, retryAfterMs);
      onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs, undefined, { signal }).catch(() => signal?.throwIfAborted());
    }
  }
}
