import { countFailure, deleteFailuresBefore } from '../store/auth-failures-store.js';
import type { Executor } from '../store/schema.js';
import { createFailureLog, DEFAULT_FAILURE_LIMIT, type FailureLimiter, type FailureLimitOptions } from './rate-limit-service.js';

// The failed-credential limiter when the store is PostgreSQL: one budget per client address for
// ALL replicas, so an attacker spreading wrong keys over N replicas still gets `maxFailures`, not N×.
//
// Counting. A row per (address, window) in the UNLOGGED table `auth_failures`, windows fixed at
// multiples of `windowMs`. A failure is allowed while the two-bucket estimate of the sliding
// window, `floor(previous × share of the previous window still inside it) + current + 1`, stays
// within `maxFailures`; one INSERT ... ON CONFLICT DO UPDATE statement checks and increments (a
// refused failure is not recorded, as in memory). The increment is atomic, so concurrent failures
// on any replicas never overshoot: an address whose previous window is empty gets exactly
// `maxFailures` before its first 429. The estimate assumes the previous window's failures were
// spread evenly, so it is exact on average (never more than `maxFailures` per window) but not in
// every span: all of a budget spent at the end of one window lets the next one's budget free up
// while those are still inside the sliding window (up to about 2 × `maxFailures` in the worst
// `windowMs`; fixed windows would allow that within a second). Retry-After stays within `windowMs`.
// Addresses are stored as given (client IPs, what the logs already hold). Replicas compute windows
// from their own clocks: keep them in NTP sync (a skew of d moves the estimate by at most
// previous × d / windowMs) and give them the same `windowMs`.
//
// Load. Only failures reach this code, and only failures that pass two local gates touch the
// database: the per-replica in-memory log (the SQLite limiter: a replica that alone saw
// `maxFailures` refuses without asking) and the refusals the database handed out (remembered
// until their Retry-After). So however fast one address guesses, it costs at most `maxFailures`
// recorded failures per window, plus about one refused statement per freed-up failure and replica;
// every failure already costs its request and, for a well-formed key, a lookup. Rows older than
// the previous window are useless: each replica deletes them at most once per window, on a
// failure (no timer, no idle queries), so the table holds about three windows' failing addresses.
//
// The database unavailable. The request is failing anyway; it gets the answer of the in-memory
// log, which has counted it: 401 within this replica's budget, 429 past it. Never a 500 for a
// wrong key, and the limit degrades to per replica (N× the budget) rather than to none. Each
// such error goes to `onError`.

export interface PostgresFailureLimitOptions extends FailureLimitOptions {
  db: Executor;
  /** Told when the shared counters could not be read or written (the request then gets the local answer). */
  onError?: (err: unknown) => void;
  now?: () => number;
}

/** A FailureLimiter whose counters live in PostgreSQL, shared by every replica on the database. */
export function createPostgresFailureLimiter(opts: PostgresFailureLimitOptions): FailureLimiter {
  const { db, onError = () => undefined, now = Date.now } = opts;
  const { maxFailures, windowMs, maxAddresses } = { ...DEFAULT_FAILURE_LIMIT, ...opts };
  const local = createFailureLog({ maxFailures, windowMs, maxAddresses }, now);
  // Address -> when the database's refusal ends; insertion order = oldest first (bounded like the log).
  const refused = new Map<string, number>();
  let prunedAt = -Infinity;

  async function prune(t: number, before: number): Promise<void> {
    if (t - prunedAt < windowMs) return;
    prunedAt = t;
    try {
      await deleteFailuresBefore(db, before);
    } catch (err) {
      onError(err);
    }
  }

  return {
    async fail(address) {
      const t = now();
      const until = refused.get(address);
      if (until !== undefined) {
        if (until > t) return until - t;
        refused.delete(address);
      }
      const localWait = local.fail(address);
      if (localWait > 0) return localWait;
      const start = Math.floor(t / windowMs) * windowMs;
      const elapsed = t - start;
      const window = { start, previousStart: start - windowMs, previousWeight: 1 - elapsed / windowMs };
      let counted;
      try {
        counted = await countFailure(db, address, window, maxFailures);
      } catch (err) {
        onError(err);
        return localWait;
      }
      await prune(t, window.previousStart);
      if (counted.recorded !== null) return 0;
      // Refused (the local log keeps this one: it is then one stricter than the database, which is
      // harmless). The count is at least what made the estimate overflow, whatever the snapshot saw.
      const current = Math.max(counted.current, maxFailures - Math.floor(counted.previous * window.previousWeight));
      const wait = retryAfterMs(counted.previous, current, maxFailures, windowMs, elapsed);
      refused.set(address, t + wait);
      while (refused.size > maxAddresses) refused.delete(refused.keys().next().value as string);
      return wait;
    },
    size: () => local.size(),
  };
}

/**
 * The milliseconds until one more failure fits the estimate, nothing else being recorded: later in
 * this window as the previous one's weight falls, or in the next, where this window is the previous.
 */
function retryAfterMs(previous: number, current: number, maxFailures: number, windowMs: number, elapsed: number): number {
  const room = maxFailures - 1 - current; // how many of the previous window's failures may still weigh
  if (room >= 0) {
    if (previous <= room) return 1; // fits already (the snapshot was behind): let the next failure ask
    // floor(previous × (windowMs - at) / windowMs) <= room, from the first whole millisecond on.
    const at = Math.floor(windowMs * (1 - (room + 1) / previous)) + 1;
    if (at < windowMs) return Math.max(1, at - elapsed);
  }
  // The next window, where this one's count weighs fully only at its first millisecond; capped at
  // one window so Retry-After never says more than the limit's own period.
  return Math.min(windowMs, windowMs - elapsed + (current >= maxFailures ? 1 : 0));
}
