import { Agent } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseArb, prepareFuzzTarget, send, snapshot, violations, type FuzzTarget } from '../helpers/fuzz.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Fuzzes every route of the OpenAPI document against a real server on SQLite: arbitrary and nearly
// valid bodies, huge and deeply nested ones, bad UTF-8, wrong content types, bad and huge headers,
// other methods, with and without a key. Never a 5xx, always the error envelope, nothing internal
// in a response, and the database is unchanged. bench/fuzz.mjs runs the same generators 20,000 times.

const BODY_LIMIT = 64 * 1024;
const RUNS = 400;

describe('fuzzing the API', () => {
  let srv: TestServer;
  let target: FuzzTarget;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    // Fuzzed requests without a key must reach validation, not the failed-auth limit (tested on its own).
    srv = await startTestServer({ bodyLimit: BODY_LIMIT, failureLimit: { maxFailures: 1_000_000 } });
    target = await prepareFuzzTarget(srv, BODY_LIMIT);
  });
  afterAll(async () => {
    agent.destroy();
    await srv?.close();
  });

  it('lists every route of the API in its OpenAPI document', () => {
    const names = target.routes.map((r) => `${r.method} ${r.template}`);
    expect(names.length).toBeGreaterThanOrEqual(25);
    expect(names).toEqual(expect.arrayContaining(['POST /v1/invites/redeem', 'PATCH /v1/projects/{slug}/environments/{env}/secrets', 'DELETE /v1/projects/{slug}']));
  });

  it('never answers 5xx, always with the envelope, never with internals, and changes nothing', async () => {
    const before = await snapshot(srv.db);
    // Route by route, so every route of the document gets its share of the cases.
    const runs = Math.ceil(RUNS / target.routes.length);
    for (const route of target.routes) {
      await fc.assert(
        fc.asyncProperty(caseArb({ ...target, routes: [route] }), async (c) => {
          const r = await send(srv.url, c, agent);
          expect(violations(c, r), `${c.method} ${c.path.slice(0, 200)} [${c.kind}] -> ${r.status}`).toEqual([]);
        }),
        { numRuns: runs },
      );
    }
    expect(await snapshot(srv.db)).toEqual(before);
    expect(srv.logs()).not.toMatch(/"level":50/);
  }, 60_000);

  it('answers oversized edge values with 400 or 404, never 500', async () => {
    const long = 'a'.repeat(10_000);
    const cases: [string, string, unknown, string | null][] = [
      ['POST', '/v1/invites/redeem', { code: long }, null],
      ['POST', '/v1/invites/redeem', { code: 'krypt_inv_' + long }, null],
      ['POST', '/v1/projects/fuzz/invites', { email: `${long}@x.io`, role: 'member' }, srv.token],
      ['POST', '/v1/projects/fuzz/transfer-ownership', { email: long }, srv.token],
      ['POST', '/v1/projects', { slug: long }, srv.token],
      ['PATCH', '/v1/projects/fuzz/environments/development/secrets', { set: { [long]: 'x' } }, srv.token],
      ['PATCH', '/v1/projects/fuzz/environments/development/secrets', { delete: ['1BAD'] }, srv.token],
      ['POST', '/v1/keys', { name: long }, srv.token],
    ];
    for (const [method, path, body, token] of cases) {
      const r = await srv.call(method, path, { body, token });
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.json.error.code).toBe('validation');
    }
    for (const path of [`/v1/projects/${long}/members`, `/v1/projects/fuzz/members/${long}%40x.io`, `/v1/projects/fuzz/environments/development/secrets/${long}`]) {
      const r = await srv.call('GET', path);
      expect([400, 404, 414]).toContain(r.status);
      expect(typeof r.json.error.code).toBe('string');
    }
  });
});
