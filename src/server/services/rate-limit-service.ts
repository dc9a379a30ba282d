import { ServiceError } from './service-error.js';

// Failed-credential limiting per client address (bad API keys, bad invite codes).
//
// Only FAILURES are counted and only failing requests are refused: a client address that has
// used up its failures gets 429 for every further wrong credential, while a valid key from the
// same address still works. Many users behind one NAT keep working while a guesser there is cut
// off; the price is that the limit is on wrong guesses, not on requests. A success never reaches
// the limiter, so it costs nothing (no query, no memory).
//
// Where the counters live depends on the store. SQLite: this process's memory (one process per
// data directory, so nothing to share), an exact sliding-window log per address, bounded by
// `maxAddresses`. PostgreSQL: shared by every replica in the `auth_failures` table (see
// rate-limit-postgres.ts), so spreading guesses over N replicas does not give N times the budget.

export interface FailureLimitOptions {
  /** Failures one address may make within `windowMs` (default 20). */
  maxFailures?: number;
  /** Sliding window (default 60 s). */
  windowMs?: number;
  /** Addresses tracked at once; past this the least recently failing one is forgotten (default 10,000). */
  maxAddresses?: number;
}

export const DEFAULT_FAILURE_LIMIT: Required<FailureLimitOptions> = { maxFailures: 20, windowMs: 60_000, maxAddresses: 10_000 };

/** 429 with the seconds the client should wait (sent as Retry-After). */
export class RateLimitedError extends ServiceError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `too many failed attempts from this address; retry in ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }
}

export interface FailureLimiter {
  /**
   * Records one failure of `address`; resolves to 0 when it is within the limit, or to the
   * milliseconds until the address may fail again (the failure is then not recorded). Never rejects.
   */
  fail(address: string): Promise<number>;
  /** Addresses this process currently tracks (for tests and metrics). */
  size(): number;
}

/** The synchronous in-memory log behind createFailureLimiter (also the per-replica gate of the PostgreSQL limiter). */
export interface FailureLog {
  fail(address: string): number;
  size(): number;
}

/** A sliding-window log per address: at most `maxFailures` failures in any `windowMs`. */
export function createFailureLog(opts: FailureLimitOptions = {}, now: () => number = Date.now): FailureLog {
  const { maxFailures, windowMs, maxAddresses } = { ...DEFAULT_FAILURE_LIMIT, ...opts };
  // Insertion order = recency of the last failure (re-inserted on each), so the first key is the oldest.
  const failures = new Map<string, number[]>();
  return {
    fail(address) {
      const t = now();
      const log = (failures.get(address) ?? []).filter((at) => at > t - windowMs);
      failures.delete(address);
      if (log.length >= maxFailures) {
        failures.set(address, log);
        return Math.max(1, (log[0] as number) + windowMs - t);
      }
      log.push(t);
      failures.set(address, log);
      while (failures.size > maxAddresses) failures.delete(failures.keys().next().value as string);
      return 0;
    },
    size: () => failures.size,
  };
}

/** The in-memory limiter (SQLite): the sliding-window log, behind the async interface. */
export function createFailureLimiter(opts: FailureLimitOptions = {}, now: () => number = Date.now): FailureLimiter {
  const log = createFailureLog(opts, now);
  return {
    fail: async (address) => log.fail(address),
    size: () => log.size(),
  };
}

/**
 * Wraps an async function whose `unauthorized` failures count against the caller's address:
 * past the limit, the failure becomes a RateLimitedError. Other errors and successes pass through
 * (a success does not touch the limiter). `onFailure` hears each counted failure and whether it was
 * refused as over the limit (metrics).
 */
export function limitFailures<A extends unknown[], R>(
  limiter: FailureLimiter,
  addressOf: (...args: A) => string | null,
  fn: (...args: A) => Promise<R>,
  onFailure: (rateLimited: boolean) => void = () => undefined,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      const address = err instanceof ServiceError && err.code === 'unauthorized' ? addressOf(...args) : null;
      if (address === null) throw err;
      const waitMs = await limiter.fail(address);
      onFailure(waitMs > 0);
      if (waitMs > 0) throw new RateLimitedError(Math.ceil(waitMs / 1000));
      throw err;
    }
  };
}
