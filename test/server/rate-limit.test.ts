import { Kysely, PostgresDialect, sql, type KyselyPlugin } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KryptDatabase } from '../../src/server/entry/index.js';
import { createPostgresFailureLimiter } from '../../src/server/services/rate-limit-postgres.js';
import { createFailureLimiter, limitFailures, RateLimitedError, type FailureLimiter } from '../../src/server/services/rate-limit-service.js';
import { ServiceError } from '../../src/server/services/service-error.js';
import type { DB } from '../../src/server/store/schema.js';
import type { TestPgDatabase } from '../helpers/pg.js';
import { requestFrom } from '../helpers/request-from.js';
import { openTestDatabase, startTestServer, type TestServer } from '../helpers/server.js';

// Failed credentials are limited per client address: past the limit a wrong API key or invite code
// gets 429 with Retry-After, while a valid key keeps working, even from the same address. On
// PostgreSQL the budget is shared by every replica (test/e2e/rate-limit-replicas.test.ts runs two
// real server processes); here several limiters on one database stand for the replicas.

const callFrom = (srv: TestServer, from: string, method: string, path: string, token: string | null, body?: unknown) =>
  requestFrom(srv.url, from, method, path, token, body);

describe('failed-credential limit (sliding window, in memory)', () => {
  it('allows maxFailures per window, then reports how long to wait, and forgets old failures', async () => {
    let t = 1_000_000;
    const limiter = createFailureLimiter({ maxFailures: 3, windowMs: 10_000 }, () => t);
    const first = t;
    for (let i = 0; i < 3; i++, t += 1_000) expect(await limiter.fail('a')).toBe(0);
    t = first + 4_000;
    expect(await limiter.fail('a')).toBe(6_000);
    expect(await limiter.fail('b')).toBe(0);
    t += 6_001; // the first failure leaves the window: one more is allowed, then blocked again
    expect(await limiter.fail('a')).toBe(0);
    expect(await limiter.fail('a')).toBeGreaterThan(0);
  });

  it('tracks at most maxAddresses, forgetting the least recently failing', async () => {
    const limiter = createFailureLimiter({ maxFailures: 1, windowMs: 60_000, maxAddresses: 100 }, () => 0);
    for (let i = 0; i < 1000; i++) await limiter.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size()).toBe(100);
    expect(await limiter.fail('10.0.3.231')).toBeGreaterThan(0); // among the newest 100: still blocked
    expect(await limiter.fail('10.0.0.1')).toBe(0); // evicted long ago
  });
});

describe('limitFailures', () => {
  function spyLimiter(waitMs: number): FailureLimiter & { calls: string[] } {
    const calls: string[] = [];
    return { calls, fail: async (address) => (calls.push(address), waitMs), size: () => calls.length };
  }
  const unauthorized = async (): Promise<never> => {
    throw new ServiceError('unauthorized', 'invalid or expired API key');
  };

  it('does not touch the limiter for a success or for an error that is not a failed credential', async () => {
    const limiter = spyLimiter(0);
    expect(await limitFailures(limiter, () => '10.1.1.1', async () => 'ok')()).toBe('ok');
    const notFound = limitFailures(limiter, () => '10.1.1.1', async () => {
      throw new ServiceError('not_found', 'nope');
    });
    await expect(notFound()).rejects.toMatchObject({ code: 'not_found' });
    expect(limiter.calls).toEqual([]);
  });

  it('counts an unauthorized failure against its address and turns it into 429 past the limit', async () => {
    const within = spyLimiter(0);
    await expect(limitFailures(within, () => '10.1.1.2', unauthorized)()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(within.calls).toEqual(['10.1.1.2']);
    const past = spyLimiter(1_500);
    const err = await limitFailures(past, () => '10.1.1.2', unauthorized)().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterSeconds).toBe(2);
    // No address (no socket address known): nothing to count against.
    const none = spyLimiter(1_500);
    await expect(limitFailures(none, () => null, unauthorized)()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(none.calls).toEqual([]);
  });
});

describe('failed-credential limit shared on PostgreSQL', () => {
  const W = 10_000;
  const START = 1_700_000_000_000; // a window start (a multiple of W)
  let kdb: KryptDatabase;
  let pgDb: TestPgDatabase | undefined;
  let t = START;
  let queries = 0;
  // Counts statements run through `counted`, to show which failures reach the database.
  const counter: KyselyPlugin = {
    transformQuery: ({ node }) => node,
    transformResult: async ({ result }) => (queries++, result),
  };
  let counted: Kysely<DB>;
  const replica = (maxFailures: number, db: Kysely<DB> = kdb.db) => createPostgresFailureLimiter({ db, maxFailures, windowMs: W, now: () => t });
  const rows = (address: string) =>
    kdb.db.selectFrom('auth_failures').select(['window_start', 'count']).where('address', '=', address).orderBy('window_start').execute();

  beforeAll(async () => {
    ({ kdb, pgDb } = await openTestDatabase('postgres'));
    counted = kdb.db.withPlugin(counter);
  });
  afterAll(async () => {
    await kdb?.destroy();
    await pgDb?.drop();
  });

  it('two replicas alternating share one budget; past it both refuse, and the budget frees up over the next window', async () => {
    t = START + 1_000;
    const [a, b] = [replica(4), replica(4)];
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) waits.push(await (i % 2 === 0 ? a : b).fail('10.2.0.1'));
    expect(waits).toEqual([0, 0, 0, 0]);
    // Refused on both, and not recorded. The previous window was empty: the next failure fits at
    // the next window's second millisecond (there this one's 4 weigh floor(4 × 0.9999) = 3).
    expect(await a.fail('10.2.0.1')).toBe(W - 1_000 + 1);
    expect(await b.fail('10.2.0.1')).toBe(W - 1_000 + 1);
    expect(await rows('10.2.0.1')).toEqual([{ window_start: String(START), count: 4 }]);

    t = START + W + 1;
    expect(await b.fail('10.2.0.1')).toBe(0);
    // 3 still weigh and 1 is recorded: the next fits once floor(4 × share) <= 2, at 2,501 ms.
    expect(await a.fail('10.2.0.1')).toBe(2_500);
    t = START + W + 2_501;
    expect(await a.fail('10.2.0.1')).toBe(0);
    expect(await rows('10.2.0.1')).toEqual([
      { window_start: String(START), count: 4 },
      { window_start: String(START + W), count: 2 },
    ]);
  });

  it('concurrent failures on three replicas never overshoot the budget', async () => {
    t = START + 3 * W + 500;
    const replicas = [replica(10), replica(10), replica(10)];
    const waits = await Promise.all(Array.from({ length: 30 }, (_, i) => replicas[i % 3]!.fail('10.2.0.2')));
    expect(waits.filter((w) => w === 0)).toHaveLength(10);
    expect(waits.filter((w) => w > 0)).toHaveLength(20);
    expect(await rows('10.2.0.2')).toEqual([{ window_start: String(START + 3 * W), count: 10 }]);
  });

  it('a limited address costs no query until its Retry-After, and a replica over the budget by itself asks nothing', async () => {
    t = START + 5 * W + 100;
    const [a, b] = [replica(3, counted), replica(3, counted)];
    await a.fail('10.2.0.3'); // the first failure of a replica also prunes old windows
    queries = 0;
    await b.fail('10.2.0.3');
    await a.fail('10.2.0.3');
    expect(queries).toBe(2 + 1); // b's first failure prunes too
    queries = 0;
    const refusedB = await b.fail('10.2.0.3');
    expect(refusedB).toBeGreaterThan(0);
    expect(queries).toBe(1);
    for (let i = 0; i < 50; i++) expect(await b.fail('10.2.0.3')).toBe(refusedB);
    expect(queries).toBe(1);

    // One replica alone: its in-memory log refuses the failure past the budget without a query.
    t = START + 6 * W + 100;
    const solo = replica(3, counted);
    for (let i = 0; i < 3; i++) expect(await solo.fail('10.2.0.4')).toBe(0);
    queries = 0;
    for (let i = 0; i < 50; i++) expect(await solo.fail('10.2.0.4')).toBeGreaterThan(0);
    expect(queries).toBe(0);
  });

  it('deletes windows before the previous one, at most once per window and replica', async () => {
    t = START + 10 * W + 100;
    const cur = START + 10 * W;
    await kdb.db
      .insertInto('auth_failures')
      .values([
        { address: '10.2.0.5', window_start: cur - 2 * W, count: 7 },
        { address: '10.2.0.5', window_start: cur - W, count: 1 },
      ])
      .execute();
    const a = replica(20);
    await a.fail('10.2.0.6');
    expect(await rows('10.2.0.5')).toEqual([{ window_start: String(cur - W), count: 1 }]);
    await kdb.db.insertInto('auth_failures').values({ address: '10.2.0.5', window_start: cur - 3 * W, count: 7 }).execute();
    t += W - 200; // the same window's end: not pruned again
    await a.fail('10.2.0.6');
    expect(await rows('10.2.0.5')).toHaveLength(2);
    t += 200; // a window later
    await a.fail('10.2.0.6');
    expect(await rows('10.2.0.5')).toEqual([]);
    const left = await kdb.db.selectFrom('auth_failures').select('window_start').distinct().execute();
    expect(left.map((r) => Number(r.window_start)).every((s) => s >= cur)).toBe(true);
  });

  it('keeps the counters in an UNLOGGED table (no WAL for an attacker to make the database write)', async () => {
    const { rows: persistence } = await sql<{ relpersistence: string }>`SELECT relpersistence FROM pg_class WHERE relname = 'auth_failures'`.execute(kdb.db);
    expect(persistence).toEqual([{ relpersistence: 'u' }]);
  });

  it('with the database unreachable answers as the in-memory limiter would (401 within the budget, 429 past it), never an error', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/krypt', connectionTimeoutMillis: 2_000 });
    pool.on('error', () => undefined);
    const down = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    try {
      const errors: unknown[] = [];
      t = START + 20 * W + 100;
      const limiter = createPostgresFailureLimiter({ db: down, maxFailures: 3, windowMs: W, now: () => t, onError: (err) => void errors.push(err) });
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) waits.push(await limiter.fail('10.2.0.7'));
      expect(waits).toEqual([0, 0, 0, W, W]);
      expect(errors).toHaveLength(3); // the last two were refused by the in-memory log, without a query
      expect(String(errors[0])).toMatch(/ECONNREFUSED|connect/);
    } finally {
      await down.destroy();
    }
  });
});

describe.each(['sqlite', 'postgres'] as const)('rate limiting failed authentication over HTTP on %s', (dialect) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ dialect, failureLimit: { maxFailures: 5, windowMs: 60_000 } });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('cuts off wrong keys from one address with 429 + Retry-After; valid keys and other addresses keep working', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await callFrom(srv, '127.0.0.1', 'GET', '/v1/me', `krypt_wrong${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);

    const limited = await callFrom(srv, '127.0.0.1', 'GET', '/v1/me', 'krypt_wrong-again');
    expect(limited.status).toBe(429);
    expect(limited.json.error?.code).toBe('rate_limited');
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    // A missing key is a failure too, and an invite code shares the address's budget.
    expect((await callFrom(srv, '127.0.0.1', 'GET', '/v1/projects', null)).status).toBe(429);
    expect((await callFrom(srv, '127.0.0.1', 'POST', '/v1/invites/redeem', null, { code: 'krypt_inv_guess' })).status).toBe(429);

    // Only failures are limited: a good key from the same address (a shared NAT) still works.
    expect((await callFrom(srv, '127.0.0.1', 'GET', '/v1/me', srv.token)).status).toBe(200);
    // Another address has its own budget.
    expect((await callFrom(srv, '127.0.0.2', 'GET', '/v1/me', srv.token)).status).toBe(200);
    expect((await callFrom(srv, '127.0.0.2', 'GET', '/v1/me', 'krypt_wrong')).status).toBe(401);
    // Validation still comes first for a good key (no 429 for a caller who is not guessing).
    expect((await callFrom(srv, '127.0.0.1', 'POST', '/v1/projects', srv.token, { slug: 'Bad Slug' })).status).toBe(400);
  });

  it('limits failed invite redemptions the same way; a valid code from the limited address still works', async () => {
    const fresh = await startTestServer({ dialect, failureLimit: { maxFailures: 3 } });
    try {
      await fresh.call('POST', '/v1/projects', { body: { slug: 'p' } });
      const { code } = (await fresh.call('POST', '/v1/projects/p/invites', { body: { email: 'new@x.io', role: 'member' } })).json;
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await callFrom(fresh, '127.0.0.3', 'POST', '/v1/invites/redeem', null, { code: `krypt_inv_${i}` })).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // A malformed body is a 400, not a failure of a credential.
      expect((await callFrom(fresh, '127.0.0.3', 'POST', '/v1/invites/redeem', null, { code: 'x'.repeat(10_000) })).status).toBe(400);
      expect((await callFrom(fresh, '127.0.0.3', 'POST', '/v1/invites/redeem', null, { code })).status).toBe(201);
      expect((await callFrom(fresh, '127.0.0.4', 'POST', '/v1/invites/redeem', null, { code: 'krypt_inv_x' })).status).toBe(401);
    } finally {
      await fresh.close();
    }
  });
});
