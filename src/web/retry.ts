// Retries what a later try can change (no answer, 5xx, 408, 429) with exponential backoff and full jitter,
// waiting at least what Retry-After asks: the policy of `presscloud push`, with its limits.
import { PressCloudApiError, PressCloudNetworkError } from '../client/errors.js';
import { DEFAULT_ATTEMPTS, MAX_RETRY_AFTER_MS, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS } from '../cli/transfer-common/constants.js';

function isRetryable(err: unknown): boolean {
  if (err instanceof PressCloudNetworkError) return true;
  if (err instanceof PressCloudApiError) return err.status >= 500 || err.status === 408 || err.status === 429;
  return false;
}

export async function withRetry<T>(operation: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      if (signal.aborted || attempt >= DEFAULT_ATTEMPTS || !isRetryable(err)) throw err;
      await sleep(delayBeforeRetry(attempt, err), signal);
    }
  }
}

function delayBeforeRetry(failedAttempt: number, err: unknown): number {
  const cap = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (failedAttempt - 1));
  const jittered = Math.round(Math.random() * cap);
  const retryAfterMs = err instanceof PressCloudApiError ? err.retryAfterMs : undefined;
  return retryAfterMs === undefined ? jittered : Math.max(Math.min(retryAfterMs, MAX_RETRY_AFTER_MS), jittered);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      if (signal.aborted) reject(signal.reason);
      else resolve();
    }
  });
}
