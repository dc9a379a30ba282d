import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krypt, makeSandbox } from '../helpers/cli.js';
import { createTestPgDatabase, type TestPgDatabase } from '../helpers/pg.js';
import { requestFrom } from '../helpers/request-from.js';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// The failed-credential budget is one per client address across replicas: two real
// `krypt server start` processes on ONE PostgreSQL database share it, so spreading wrong keys
// over both does not double it. `server start` has no flag for the budget: the default applies
// (20 failures per address per 60 s). Needs `npm run build` (npm test does it first).

const BUDGET = 20;

let pgDb: TestPgDatabase;
let a: ServerProcess;
let b: ServerProcess;
const box = makeSandbox();
const keyFile = join(box.home, 'master.key');
let token: string;

beforeAll(async () => {
  pgDb = await createTestPgDatabase();
  const init = await krypt(['server', 'init', '--database-url', pgDb.url, '--master-key-out', keyFile], { cwd: box.cwd, env: box.env });
  expect(init.code).toBe(0);
  token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
  const start = () => startServerProcess(['--database-url', pgDb.url, '--master-key-file', keyFile, '--port', '0'], box.env);
  [a, b] = await Promise.all([start(), start()]);
});

afterAll(async () => {
  killServerProcesses();
  await pgDb?.drop();
});

describe('failed-credential limit across two server replicas on one PostgreSQL database', () => {
  it('an attacker alternating wrong keys between A and B gets 429 after the budget in total; a valid key still works on both', async () => {
    const from = '127.0.0.21';
    const statuses: number[] = [];
    for (let i = 0; i <= BUDGET; i++) {
      statuses.push((await requestFrom(i % 2 === 0 ? a.url : b.url, from, 'GET', '/v1/me', `krypt_wrong_${i}`)).status);
    }
    expect(statuses).toEqual([...Array<number>(BUDGET).fill(401), 429]);

    for (const replica of [a, b]) {
      const limited = await requestFrom(replica.url, from, 'GET', '/v1/me', 'krypt_wrong_again');
      expect(limited.status).toBe(429);
      expect(limited.json.error?.code).toBe('rate_limited');
      expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
      // The window is 60 s; the estimate over two buckets may ask for up to 1/20 of it more.
      expect(Number(limited.retryAfter)).toBeLessThanOrEqual(63);
      // Only failures are limited: a valid key from the same address works on both replicas.
      expect((await requestFrom(replica.url, from, 'GET', '/v1/me', token)).status).toBe(200);
    }
    // Another address has its own budget.
    expect((await requestFrom(b.url, '127.0.0.22', 'GET', '/v1/me', 'krypt_wrong')).status).toBe(401);
  });

  it('a concurrent burst split over both replicas gets exactly the budget of 401s, the rest 429', async () => {
    const from = '127.0.0.23';
    const burst = await Promise.all(
      Array.from({ length: 2 * BUDGET }, (_, i) => requestFrom(i % 2 === 0 ? a.url : b.url, from, 'GET', '/v1/projects', `krypt_burst_${i}`)),
    );
    const count = (status: number) => burst.filter((r) => r.status === status).length;
    expect({ 401: count(401), 429: count(429) }).toEqual({ 401: BUDGET, 429: BUDGET });
    expect((await requestFrom(a.url, from, 'GET', '/v1/me', token)).status).toBe(200);
    expect((await requestFrom(b.url, from, 'GET', '/v1/me', token)).status).toBe(200);
  });
});
