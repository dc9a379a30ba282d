import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/server/services/audit-chain.js';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

// Twenty pushers at once from the same base revision, on both databases: conflicts are decided per
// key, so disjoint keys all land (each at its own revision) and one key has exactly one winner.

const PUSHERS = 20;

describe.each(['sqlite', 'postgres'] as const)('concurrent pushers on %s', (dialect) => {
  let srv: TestServer;
  const secrets = (slug: string) => `/v1/projects/${slug}/environments/development/secrets`;
  const push = (slug: string, body: Record<string, unknown>) => srv.call('PATCH', secrets(slug), { body });

  /** A project holding `seed`, and its revision after the seed write. */
  async function project(slug: string, seed: Record<string, string>): Promise<number> {
    expect((await srv.call('POST', '/v1/projects', { body: { slug } })).status).toBe(201);
    const res = await push(slug, { set: seed });
    expect(res.status).toBe(200);
    return res.json.revision as number;
  }

  /** Audit entries of `action` in the project, oldest first. */
  async function auditOf(slug: string, action: string) {
    const rows = await srv.db.selectFrom('audit_log').select(['action', 'keys', 'details']).where('project_slug', '=', slug).where('action', '=', action).orderBy('id').execute();
    return rows.map((r) => ({ keys: JSON.parse(r.keys) as string[], details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it(`${PUSHERS} pushers on disjoint keys from one base revision all land, each at its own revision`, async () => {
    const base = await project('disjoint', { SHARED: 'untouched' });
    const results = await Promise.all(
      Array.from({ length: PUSHERS }, (_, i) => push('disjoint', { baseRevision: base, set: { [`KEY_${i}`]: `value-${i}` } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(PUSHERS).fill(200));
    const revisions = results.map((r) => r.json.revision as number).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: PUSHERS }, (_, i) => base + 1 + i));
    results.forEach((r, i) => expect(r.json.changed).toEqual([`KEY_${i}`]));

    const state = await srv.call('GET', secrets('disjoint'));
    expect(state.json.revision).toBe(base + PUSHERS);
    expect(state.json.secrets).toEqual({
      SHARED: 'untouched',
      ...Object.fromEntries(Array.from({ length: PUSHERS }, (_, i) => [`KEY_${i}`, `value-${i}`])),
    });
    const audited = await auditOf('disjoint', 'secrets.write');
    expect(audited).toHaveLength(PUSHERS + 1);
    expect(audited.slice(1).map((a) => a.details.revision).sort((a, b) => Number(a) - Number(b))).toEqual(revisions);
    expect(await verifyAuditChain(srv.db, srv.auditKey)).toMatchObject({ ok: true, problems: [] });
  });

  it(`${PUSHERS} pushers on the same key from one base revision: exactly one wins, the rest get 409 naming the key`, async () => {
    const base = await project('same-key', { TARGET: 'v0', OTHER: 'o0' });
    const results: ApiResponse[] = await Promise.all(
      Array.from({ length: PUSHERS }, (_, i) => push('same-key', { baseRevision: base, set: { TARGET: `pusher-${i}` } })),
    );
    const winners = results.map((r, i) => ({ r, i })).filter(({ r }) => r.status === 200);
    const losers = results.filter((r) => r.status === 409);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(PUSHERS - 1);
    const winner = winners[0]!;
    expect(winner.r.json).toEqual({ revision: base + 1, changed: ['TARGET'], deleted: [] });
    for (const lost of losers) {
      expect(lost.json.error.code).toBe('conflict');
      expect(lost.json.error.keys).toEqual(['TARGET']);
      expect(lost.json.error.message).toContain('TARGET');
    }

    const state = await srv.call('GET', secrets('same-key'));
    expect(state.json).toMatchObject({ revision: base + 1, secrets: { TARGET: `pusher-${winner.i}`, OTHER: 'o0' } });
    const history = await srv.call('GET', `${secrets('same-key')}/TARGET/history`);
    expect(history.status).toBe(200);
    expect(history.json.versions).toHaveLength(2);
    // Refused writes leave no trace in the audit log; the chain stays intact.
    expect(await auditOf('same-key', 'secrets.write')).toHaveLength(2);
    expect(await verifyAuditChain(srv.db, srv.auditKey)).toMatchObject({ ok: true, problems: [] });
  });

  it('a loser retries from the new base and lands; a stale retry still conflicts', async () => {
    const base = await project('retry', { K: 'k0' });
    const first = await Promise.all([push('retry', { baseRevision: base, set: { K: 'a' } }), push('retry', { baseRevision: base, set: { K: 'b' } })]);
    expect(first.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await push('retry', { baseRevision: base, set: { K: 'c' } })).status).toBe(409);
    const retried = await push('retry', { baseRevision: base + 1, set: { K: 'c' } });
    expect(retried.json).toEqual({ revision: base + 2, changed: ['K'], deleted: [] });
    expect(await verifyAuditChain(srv.db, srv.auditKey)).toMatchObject({ ok: true, problems: [] });
  });
});
