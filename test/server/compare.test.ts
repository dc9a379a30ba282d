import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

// GET /v1/projects/:slug/compare on SQLite and PostgreSQL: which keys are missing or differ across
// the environments, computed by the server from the decrypted values and never carrying one. The
// equality of values is itself information about them: it takes the right to read every
// environment (so not a Viewer's, nor a service token's) and is audited.

describe.each(['sqlite', 'postgres'] as const)('comparing environments on %s', (dialect) => {
  let srv: TestServer;
  let member: string;
  let viewer: string;
  const slug = 'cmp';
  const VALUES = ['shared-value-1f3a', 'dev-only-value-9c2e', 'stg-value-77aa', 'prod-value-42bd', 'staging-and-prod-5e1c'];

  const invite = async (email: string, role: string) => {
    const inv = await srv.call('POST', `/v1/projects/${slug}/invites`, { body: { email, role } });
    const joined = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: inv.json.code } });
    expect(joined.status, joined.text).toBe(201);
    return joined.json.token as string;
  };

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    expect((await srv.call('POST', '/v1/projects', { body: { slug } })).status).toBe(201);
    const write = async (env: string, set: Record<string, string>) =>
      expect((await srv.call('PATCH', `/v1/projects/${slug}/environments/${env}/secrets`, { body: { set } })).status).toBe(200);
    await write('development', { SAME: VALUES[0]!, DIFFERS: VALUES[1]!, DEV_ONLY: VALUES[1]! });
    await write('staging', { SAME: VALUES[0]!, DIFFERS: VALUES[4]! });
    await write('production', { SAME: VALUES[0]!, DIFFERS: VALUES[4]!, PROD_ONLY: VALUES[3]! });
    member = await invite('mem@example.com', 'member');
    viewer = await invite('view@example.com', 'viewer');
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('says which keys are the same, differ (and which environments agree) or are missing, without a value', async () => {
    const r = await srv.call('GET', `/v1/projects/${slug}/compare`, { token: member });
    expect(r.status, r.text).toBe(200);
    for (const v of VALUES) expect(r.text).not.toContain(v);
    const byKey = Object.fromEntries((r.json.keys as Array<Record<string, unknown>>).map((k) => [k.key, k]));
    expect(Object.keys(byKey)).toEqual(['DEV_ONLY', 'DIFFERS', 'PROD_ONLY', 'SAME']);
    const groups = (key: string) => ['development', 'staging', 'production'].map((env) => (byKey[key]![env] as { group: number } | null)?.group ?? '-');
    expect(byKey.SAME!.status).toBe('same');
    expect(groups('SAME')).toEqual([0, 0, 0]);
    expect(byKey.DIFFERS!.status).toBe('different');
    expect(groups('DIFFERS')).toEqual([0, 1, 1]);
    expect(byKey.DEV_ONLY!.status).toBe('missing');
    expect(groups('DEV_ONLY')).toEqual([0, '-', '-']);
    expect(byKey.PROD_ONLY!.status).toBe('missing');
    expect(byKey.SAME!.production).toEqual({ version: 1, updatedAt: expect.any(String), updatedBy: 'admin@krypt.local', group: 0 });
    expect(r.json.revisions).toEqual({ development: 1, staging: 1, production: 1 });
  });

  it('is audited (the key count, never a name or value) and refused to Viewers, service tokens and outsiders', async () => {
    expect((await srv.call('GET', `/v1/projects/${slug}/compare`)).status).toBe(200);
    const entry = await srv.db.selectFrom('audit_log').selectAll().where('action', '=', 'secrets.compare').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details)).toMatchObject({ keys: 4 });
    for (const v of VALUES) expect(JSON.stringify(entry)).not.toContain(v);

    const refused = await srv.call('GET', `/v1/projects/${slug}/compare`, { token: viewer });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toMatch(/viewers/);
    const token = await srv.call('POST', '/v1/keys', { body: { name: 'ci', service: { project: slug, environment: 'development' } } });
    expect((await srv.call('GET', `/v1/projects/${slug}/compare`, { token: token.json.token })).status).toBe(403);
    const outsider = await srv.call('POST', '/v1/projects', { token: member, body: { slug: 'mine' } });
    expect(outsider.status).toBe(201);
    expect((await srv.call('GET', '/v1/projects/mine/compare')).status).toBe(404);
  });
});
