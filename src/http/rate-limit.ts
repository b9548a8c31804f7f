// Per-API-token rate limiting: a token bucket per token, in this process only (N instances allow N times
// the rate), refilled continuously so a client is never locked out for a whole minute.
import { AppError } from '../domain/errors.js';

export interface RateLimiter {
  /** Takes one request from the key's bucket; throws rate_limited (429 with Retry-After) when it is empty. */
  take(key: string): void;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Past this many buckets, full ones (keys idle for a minute or more) are dropped on the next take. */
const PRUNE_ABOVE_BUCKETS = 10_000;

export function createRateLimiter(perMinute: number, now: () => number = () => performance.now()): RateLimiter {
  if (perMinute === 0) return { take: () => {} };
  const capacity = perMinute;
  const refillPerMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, at: number) => {
    bucket.tokens = Math.min(capacity, bucket.tokens + (at - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = at;
  };

  return {
    take(key) {
      const at = now();
      if (buckets.size > PRUNE_ABOVE_BUCKETS) {
        for (const [other, bucket] of buckets) {
          refill(bucket, at);
          if (bucket.tokens >= capacity) buckets.delete(other);
        }
      }
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = { tokens: capacity, updatedAt: at };
        buckets.set(key, bucket);
      }
      refill(bucket, at);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
      throw new AppError('rate_limited', `This token is limited to ${perMinute} requests a minute; retry in ${retryAfterSeconds} s.`, {
        retryAfterSeconds,
      });
    },
  };
}
