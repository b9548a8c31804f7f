// The 4 KiB PUT load generator: one undici Agent with `connections` keep-alive connections,
// `connections` workers each sending one request at a time. Used for every target.
import { Agent } from 'undici';

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * Send every request in `requests` ({path, headers, body, method = PUT}) to `origin`.
 * Resolves {count, ok, failed, statuses, seconds, reqPerSec, p50ms, p99ms, maxms}.
 * Bounded: the whole run is aborted after `timeoutMs`.
 */
export async function putMany(origin, requests, { connections = 64, timeoutMs = 120_000 } = {}) {
  const agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    agent.destroy(new Error(`load run stopped after ${timeoutMs} ms`)).catch(() => {});
  }, timeoutMs);
  const latencies = new Float64Array(requests.length);
  const statuses = {};
  let next = 0;
  let failed = 0;
  let firstError;
  const worker = async () => {
    while (next < requests.length && !timedOut) {
      const i = next++;
      const r = requests[i];
      const t0 = process.hrtime.bigint();
      try {
        const res = await agent.request({ origin, path: r.path, method: r.method ?? 'PUT', headers: r.headers, body: r.body });
        await res.body.dump({ limit: 1 << 20 });
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 300) {
          failed++;
          firstError ??= `HTTP ${res.statusCode} for ${r.path}`;
        }
      } catch (err) {
        failed++;
        statuses.error = (statuses.error ?? 0) + 1;
        firstError ??= err.message;
      }
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearTimeout(timer);
  if (!timedOut) await agent.close();
  if (timedOut) throw new Error(`load run aborted after ${timeoutMs} ms (${next}/${requests.length} sent)`);
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    count: requests.length,
    ok: requests.length - failed,
    failed,
    firstError,
    statuses,
    seconds,
    reqPerSec: requests.length / seconds,
    p50ms: percentile(sorted, 50),
    p99ms: percentile(sorted, 99),
    maxms: sorted[sorted.length - 1],
  };
}
