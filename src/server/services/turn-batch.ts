// Calls made in the same event-loop turn, answered together: the requests a server reads in one
// turn each ask for their caller's key, and on PostgreSQL one query for all of them costs one
// round trip (one write, one wake-up of a backend) instead of one each.

/**
 * `load` for one argument, batched: the arguments of the calls made before the next turn go to one
 * `loadAll` call (at most `max` per call), which answers them in order. A failed loadAll fails
 * every call in it, as each failed query would have.
 */
export function batchedPerTurn<A, R>(loadAll: (args: readonly A[]) => Promise<readonly R[]>, max = 200): (arg: A) => Promise<R> {
  type Waiting = { arg: A; resolve: (value: R) => void; reject: (err: unknown) => void };
  let queue: Waiting[] = [];
  const run = async (batch: Waiting[]): Promise<void> => {
    try {
      const results = await loadAll(batch.map((w) => w.arg));
      if (results.length !== batch.length) throw new Error(`a batched load answered ${results.length} of ${batch.length} lookups`);
      batch.forEach((w, i) => w.resolve(results[i] as R));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  };
  const flush = (): void => {
    const all = queue;
    queue = [];
    for (let i = 0; i < all.length; i += max) void run(all.slice(i, i + max));
  };
  return (arg) =>
    new Promise<R>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ arg, resolve, reject });
    });
}
