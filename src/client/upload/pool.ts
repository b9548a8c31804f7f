// Runs async work over a list with at most `limit` tasks in flight, keeping results in input order.

/**
 * After a task fails, or `signal` is aborted, no new task starts, and the first failure (or the signal's reason)
 * is thrown only once the tasks in flight have settled: a caller's cleanup (temp files, open handles) has run
 * before it sees the error. `stop` ends the run early without an error (tasks not started are left undone).
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
  stop?: () => boolean,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  async function worker(): Promise<void> {
    while (next < items.length && failure === undefined && !signal?.aborted && !stop?.()) {
      const index = next++;
      try {
        results[index] = await work(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  signal?.throwIfAborted();
  if (failure) throw failure.error;
  return results;
}
