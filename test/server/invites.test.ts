import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

// Invites as a hostile teammate meets them, over real HTTP on SQLite and PostgreSQL: a code never
// yields a credential for an account that exists; that account accepts it signed in as itself;
// pending invites are listed and revoked; an invite dies with its issuer's right to invite.

describe.each(['sqlite', 'postgres'] as const)('invites on %s', (dialect) => {
  let srv: TestServer;
  const call = (method: string, path: string, token: string | null | undefined, body?: unknown) =>
    srv.call(method, path, { ...(token !== undefined ? { token } : {}), ...(body !== undefined ? { body } : {}) });
  const expectError = (r: ApiResponse, status: number, message?: RegExp) => {
    expect(r.status, r.text).toBe(status);
    if (message) expect(r.json.error.message).toMatch(message);
  };
  const invite = async (slug: string, email: string, role: string, token?: string) => {
    const r = await call('POST', `/v1/projects/${slug}/invites`, token, { email, role });
    expect(r.status, r.text).toBe(201);
    return r.json as { code: string; invite: { id: string } };
  };
  const redeem = (code: string) => call('POST', '/v1/invites/redeem', null, { code });
  const accept = (code: string, token: string) => call('POST', '/v1/invites/accept', token, { code });
  const join = async (slug: string, email: string, role: string) => {
    const r = await redeem((await invite(slug, email, role)).code);
    expect(r.status, r.text).toBe(201);
    return r.json.token as string;
  };
  const auditOf = async (action: string) =>
    (await srv.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()).map((r) => ({ ...r, details: JSON.parse(r.details) }));

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    expect((await call('POST', '/v1/projects', undefined, { slug: 'app' })).status).toBe(201);
    const w = await call('PATCH', '/v1/projects/app/environments/production/secrets', undefined, { set: { DB_PASSWORD: 'owner-prod-password' } });
    expect(w.status).toBe(200);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('a viewer cannot take over the owner through an invite to her own project', async () => {
    const joinsBefore = (await auditOf('member.join')).length;
    const eve = await join('app', 'eve@example.com', 'viewer');
    expect((await call('POST', '/v1/projects', eve, { slug: 'eve-proj' })).status).toBe(201);
    const { code } = await invite('eve-proj', 'admin@krypt.local', 'viewer', eve);
    const keysBefore = await srv.db.selectFrom('api_keys').select(['id', 'user_id']).orderBy('id').execute();

    const r = await redeem(code);
    expectError(r, 409, /^admin@krypt\.local already has a Krypt account: sign in as that account/);
    expect(JSON.stringify(r.json)).not.toMatch(/krypt_/);
    expect(await srv.db.selectFrom('api_keys').select(['id', 'user_id']).orderBy('id').execute()).toEqual(keysBefore);
    // accepting needs the invited account's own key
    expectError(await accept(code, eve), 403, /this invite is for admin@krypt\.local, but you are signed in as eve@example\.com/);
    expectError(await call('GET', '/v1/projects/app/environments/production/secrets', eve), 403);
    // the code is still good for the account it names
    const ok = await accept(code, srv.token);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toEqual({ project: 'eve-proj', role: 'viewer' });
    expect(await srv.db.selectFrom('api_keys').select(['id', 'user_id']).orderBy('id').execute()).toEqual(keysBefore);
    expectError(await accept(code, srv.token), 404, /invite code is invalid, used or expired/);
    const joins = (await auditOf('member.join')).slice(joinsBefore);
    expect(joins.map((j) => [j.actor_email, j.project_slug, j.details.via])).toEqual([
      ['eve@example.com', 'app', 'new-account'],
      ['admin@krypt.local', 'eve-proj', 'accept'],
    ]);
  });

  it("answers an invite with the dashboard's link to accept it, the code in the fragment, never cached", async () => {
    const r = await call('POST', '/v1/projects/app/invites', undefined, { email: 'link@example.com', role: 'viewer' });
    expect(r.status, r.text).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const url = new URL(r.json.url as string);
    expect(url.origin).toBe(srv.url);
    expect(url.pathname).toBe('/invite');
    expect(url.search).toBe('');
    expect(new URLSearchParams(url.hash.slice(1)).get('code')).toBe(r.json.code);
  });

  it('a service token cannot accept invites; garbage codes are refused', async () => {
    const token = (await call('POST', '/v1/keys', undefined, { name: 'ci', service: { project: 'app', environment: 'development' } })).json.token as string;
    const { code } = await invite('app', 'someone@example.com', 'member');
    expectError(await accept(code, token), 403, /service tokens are read-only/);
    expectError(await accept('kinv_nope', srv.token), 404, /invalid, used or expired/);
    expectError(await redeem('kinv_nope'), 401, /invalid, used or expired/);
  });

  it('lists pending invites and revokes them (audited); a revoked code is dead', async () => {
    const member = await join('app', 'mia@example.com', 'member');
    const { code, invite: created } = await invite('app', 'Later@Example.com', 'member');
    const listed = await call('GET', '/v1/projects/app/invites', member);
    expect(listed.status).toBe(200);
    expect(listed.json.invites).toContainEqual(expect.objectContaining({ id: created.id, email: 'later@example.com', role: 'member', invitedBy: 'admin@krypt.local' }));
    expect(listed.text).not.toContain(code);
    expectError(await call('DELETE', `/v1/projects/app/invites/${created.id}`, member), 403, /owner or admin/);
    expect((await call('DELETE', `/v1/projects/app/invites/${created.id}`, undefined)).status).toBe(204);
    expectError(await call('DELETE', `/v1/projects/app/invites/${created.id}`, undefined), 404, /no pending invite/);
    expectError(await redeem(code), 401, /invalid, used or expired/);
    expect((await call('GET', '/v1/projects/app/invites', member)).json.invites.map((i: { id: string }) => i.id)).not.toContain(created.id);
    const [revoked] = await auditOf('member.invite_revoke');
    expect(revoked).toMatchObject({ actor_email: 'admin@krypt.local', project_slug: 'app' });
    expect(revoked?.details).toMatchObject({ email: 'later@example.com', inviteId: created.id });
  });

  it('an invite stops working when its issuer is demoted or removed, unless re-issued by someone who may invite', async () => {
    const adminA = await join('app', 'ada@example.com', 'admin');
    const adminB = await join('app', 'bo@example.com', 'admin');
    const fromA = await invite('app', 'one@example.com', 'member', adminA);
    const fromA2 = await invite('app', 'two@example.com', 'member', adminA);
    const fromB = await invite('app', 'three@example.com', 'member', adminB);

    // demoted: A's pending invites are dropped (counted in the audit entry) and refused
    expect((await call('PATCH', '/v1/projects/app/members/ada%40example.com', undefined, { role: 'member' })).status).toBe(200);
    expectError(await redeem(fromA.code), 401, /invalid, used or expired/);
    const [role] = (await auditOf('member.role')).filter((e) => e.details.email === 'ada@example.com');
    expect(role?.details).toMatchObject({ to: 'member', invitesRevoked: 2 });
    const pending = (await call('GET', '/v1/projects/app/invites', undefined)).json.invites.map((i: { email: string }) => i.email);
    expect(pending).not.toContain('one@example.com');
    expect(pending).toContain('three@example.com');

    // re-issued by an admin who may invite: works
    const again = await invite('app', 'two@example.com', 'member', adminB);
    expect((await redeem(again.code)).status).toBe(201);
    expectError(await redeem(fromA2.code), 401);

    // removed: B's remaining invite dies too
    expect((await call('DELETE', '/v1/projects/app/members/bo%40example.com', undefined)).status).toBe(204);
    expectError(await redeem(fromB.code), 401);

    // even a code whose row survived (issued before its issuer lost the right) is refused
    const fromC = await invite('app', 'four@example.com', 'member', await join('app', 'cy@example.com', 'admin'));
    await srv.db.updateTable('memberships').set({ role: 'viewer' }).where('user_id', '=', (await srv.db.selectFrom('users').select('id').where('email', '=', 'cy@example.com').executeTakeFirstOrThrow()).id).execute();
    expectError(await redeem(fromC.code), 403, /issued by someone who can no longer invite/);
    expect((await call('GET', '/v1/projects/app/invites', undefined)).json.invites.map((i: { email: string }) => i.email)).not.toContain('four@example.com');
  });
});
