/**
 * `work` applied to each item of `source` with up to `concurrency` calls in flight, results in
 * the source's order. Stopping the iteration stops pulling from `source`; a failure ends it.
 */
export async function* mapOrdered<T, R>(
  source: AsyncIterable<T>,
  concurrency: number,
  work: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const iterator = source[Symbol.asyncIterator]();
  const inFlight: Promise<R>[] = [];
  let isSourceDone = false;
  try {
    while (true) {
      while (!isSourceDone && inFlight.length < concurrency) {
        const next = await iterator.next();
        if (next.done) {
          isSourceDone = true;
          break;
        }
        const pending = work(next.value);
        // Failures are observed in order below; this keeps an early one from being "unhandled".
        pending.catch(() => undefined);
        inFlight.push(pending);
      }
      const first = inFlight.shift();
      if (!first) return;
      yield await first;
    }
  } finally {
    if (!isSourceDone) await iterator.return?.();
    await Promise.allSettled(inFlight);
  }
}
