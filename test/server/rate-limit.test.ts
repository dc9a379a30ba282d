import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFailureLimiter } from '../../src/server/services/rate-limit-service.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Failed credentials are limited per client address: past the limit a wrong API key or invite code
// gets 429 with Retry-After, while a valid key keeps working, even from the same address.

/** GET/POST from a chosen loopback source address (all of 127/8 is loopback on Linux). */
function callFrom(srv: TestServer, from: string, method: string, path: string, token: string | null, body?: unknown) {
  const url = new URL(srv.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<{ status: number; retryAfter: string | undefined; json: { error?: { code: string } } }>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        localAddress: from,
        agent: false,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, json: JSON.parse(text || '{}') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('failed-credential limit (sliding window, in memory)', () => {
  it('allows maxFailures per window, then reports how long to wait, and forgets old failures', () => {
    let t = 1_000_000;
    const limiter = createFailureLimiter({ maxFailures: 3, windowMs: 10_000 }, () => t);
    const first = t;
    for (let i = 0; i < 3; i++, t += 1_000) expect(limiter.fail('a')).toBe(0);
    t = first + 4_000;
    expect(limiter.fail('a')).toBe(6_000);
    expect(limiter.fail('b')).toBe(0);
    t += 6_001; // the first failure leaves the window: one more is allowed, then blocked again
    expect(limiter.fail('a')).toBe(0);
    expect(limiter.fail('a')).toBeGreaterThan(0);
  });

  it('tracks at most maxAddresses, forgetting the least recently failing', () => {
    const limiter = createFailureLimiter({ maxFailures: 1, windowMs: 60_000, maxAddresses: 100 }, () => 0);
    for (let i = 0; i < 1000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size()).toBe(100);
    expect(limiter.fail('10.0.3.231')).toBeGreaterThan(0); // among the newest 100: still blocked
    expect(limiter.fail('10.0.0.1')).toBe(0); // evicted long ago
  });
});

describe('rate limiting failed authentication over HTTP', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ failureLimit: { maxFailures: 5, windowMs: 60_000 } });
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
    const fresh = await startTestServer({ failureLimit: { maxFailures: 3 } });
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
