import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

// Teams and governance over real HTTP on SQLite and PostgreSQL: invites, owner protection,
// ownership transfer, change requests, service tokens, history/rollback and audit coverage.

const DB_TABLES = [
  'meta', 'users', 'api_keys', 'projects', 'environments', 'memberships', 'secrets', 'secret_versions',
  'invites', 'change_requests', 'change_request_items', 'audit_log',
] as const;

describe.each(['sqlite', 'postgres'] as const)('teams on %s', (dialect) => {
  let srv: TestServer;
  const SLUG = 'team';
  const p = `/v1/projects/${SLUG}`;
  const envPath = (env: string) => `${p}/environments/${env}`;
  const t = {} as Record<'admin' | 'member' | 'viewer', string>;
  const written: string[] = []; // every secret value sent, for the at-rest and audit leak checks

  const call = (method: string, path: string, token?: string | null, body?: unknown) =>
    srv.call(method, path, { ...(token !== undefined ? { token } : {}), ...(body !== undefined ? { body } : {}) });
  const write = (env: string, body: { set?: Record<string, string>; delete?: string[]; baseRevision?: number }, token?: string) => {
    written.push(...Object.values(body.set ?? {}));
    return call('PATCH', `${envPath(env)}/secrets`, token, body);
  };
  const expectError = (r: ApiResponse, status: number, message?: string | RegExp) => {
    expect(r.status).toBe(status);
    if (message !== undefined) expect(r.json.error.message).toMatch(message);
  };
  async function invite(email: string, role: string, token?: string) {
    return call('POST', `${p}/invites`, token, { email, role });
  }
  async function join(email: string, role: 'admin' | 'member' | 'viewer') {
    const i = await invite(email, role);
    expect(i.status).toBe(201);
    const r = await call('POST', '/v1/invites/redeem', null, { code: i.json.code });
    expect(r.status).toBe(201);
    return r.json.token as string;
  }
  async function dbDump(): Promise<string> {
    const parts: string[] = [];
    for (const table of DB_TABLES) parts.push(JSON.stringify(await srv.db.selectFrom(table).selectAll().execute()));
    return parts.join('\n');
  }

  // A server of its own for every test: each arranges what it needs, so any one runs alone.
  beforeEach(async () => {
    written.length = 0;
    srv = await startTestServer({ dialect });
    expect((await call('POST', '/v1/projects', undefined, { slug: SLUG })).status).toBe(201);
    t.admin = await join('admin@example.com', 'admin');
    t.member = await join('member@example.com', 'member');
    t.viewer = await join('viewer@example.com', 'viewer');
  });
  afterEach(async () => {
    await srv?.close();
  });

  it('issues one-time, expiring invite codes stored only as hashes', async () => {
    const i = await invite('New.Person@Example.com', 'member');
    expect(i.status).toBe(201);
    expect(i.json.code).toMatch(/^kinv_[A-Za-z0-9_-]{43}$/);
    expect(i.json.invite).toMatchObject({ email: 'new.person@example.com', role: 'member', invitedBy: 'admin@krypt.local' });
    expect(Date.parse(i.json.invite.expiresAt) - Date.parse(i.json.invite.createdAt)).toBe(7 * 24 * 3600 * 1000);
    const listed = await call('GET', `${p}/members`, t.viewer);
    expect(listed.status).toBe(200);
    expect(listed.json.invites.map((x: { email: string }) => x.email)).toContain('new.person@example.com');
    expect(listed.json.members.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual([
      ['admin@krypt.local', 'owner'],
      ['admin@example.com', 'admin'],
      ['member@example.com', 'member'],
      ['viewer@example.com', 'viewer'],
    ]);
    expect(await dbDump()).not.toContain(i.json.code);

    const r = await call('POST', '/v1/invites/redeem', null, { code: i.json.code, name: 'New Person' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ user: { email: 'new.person@example.com', name: 'New Person' }, project: SLUG, role: 'member' });
    const me = await call('GET', '/v1/me', r.json.token);
    expect(me.json.key.name).toBe(`invite:${SLUG}`);
    expect((await call('GET', `${envPath('development')}/keys`, r.json.token)).status).toBe(200);

    const again = await call('POST', '/v1/invites/redeem', null, { code: i.json.code });
    expectError(again, 401, 'invite code is invalid, used or expired');
    expect(again.json.error.code).toBe('unauthorized');
    expectError(await call('POST', '/v1/invites/redeem', null, { code: 'kinv_nope' }), 401, 'invite code is invalid, used or expired');
    expectError(await invite('new.person@example.com', 'viewer'), 409, /already a member/);

    const late = await invite('late@example.com', 'viewer');
    await srv.db.updateTable('invites').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', late.json.invite.id).execute();
    expectError(await call('POST', '/v1/invites/redeem', null, { code: late.json.code }), 401, 'invite code is invalid, used or expired');

    // an existing account joins with its own identity: redeeming its code unauthenticated issues
    // nothing (and leaves the code usable); the account accepts it with its own key
    const existingToken = await srv.createUser('existing@example.com');
    const keysBefore = await srv.db.selectFrom('api_keys').select('id').execute();
    const existingCode = (await invite('existing@example.com', 'viewer')).json.code as string;
    expectError(await call('POST', '/v1/invites/redeem', null, { code: existingCode }), 409, /existing@example.com already has a Krypt account/);
    expect(await srv.db.selectFrom('api_keys').select('id').execute()).toEqual(keysBefore);
    const e = await call('POST', '/v1/invites/accept', existingToken, { code: existingCode });
    expect(e.status).toBe(200);
    expect(e.json).toEqual({ project: SLUG, role: 'viewer' });
    expect(await srv.db.selectFrom('api_keys').select('id').execute()).toEqual(keysBefore);
    expectError(await invite('x@example.com', 'viewer', t.member), 403, 'managing members needs the owner or admin role');
    expectError(await invite('x@example.com', 'owner'), 400);
  });

  it('protects the owner; admins manage others; members manage nobody', async () => {
    await join('existing@example.com', 'viewer');
    const owner = encodeURIComponent('admin@krypt.local');
    expectError(await call('DELETE', `${p}/members/${owner}`, t.admin), 403, /transfer ownership first/);
    expectError(await call('PATCH', `${p}/members/${owner}`, t.admin, { role: 'viewer' }), 403, /transfer ownership first/);
    expectError(await call('DELETE', `${p}/members/${owner}`), 403, /transfer ownership first/);
    expectError(await call('DELETE', `${p}/members/existing%40example.com`, t.member), 403, 'managing members needs the owner or admin role');
    const rerole = await call('PATCH', `${p}/members/existing%40example.com`, t.admin, { role: 'member' });
    expect(rerole.status).toBe(200);
    expect(rerole.json.member).toMatchObject({ email: 'existing@example.com', role: 'member' });
    expect((await call('DELETE', `${p}/members/existing%40example.com`, t.admin)).status).toBe(204);
    expectError(await call('DELETE', `${p}/members/existing%40example.com`, t.admin), 404);
  });

  it('transfers ownership; the old owner becomes admin', async () => {
    const temp = await srv.call('POST', '/v1/projects', { body: { slug: 'handover' } });
    expect(temp.status).toBe(201);
    const code = (await srv.call('POST', '/v1/projects/handover/invites', { body: { email: 'heir@example.com', role: 'admin' } })).json.code;
    const heir = (await call('POST', '/v1/invites/redeem', null, { code })).json.token as string;
    expectError(await call('POST', '/v1/projects/handover/transfer-ownership', heir, { email: 'heir@example.com' }), 403, 'only the owner can transfer ownership');
    expectError(await call('POST', '/v1/projects/handover/transfer-ownership', undefined, { email: 'nobody@example.com' }), 404);
    const r = await call('POST', '/v1/projects/handover/transfer-ownership', undefined, { email: 'heir@example.com' });
    expect(r.status).toBe(200);
    expect(r.json.owner).toMatchObject({ email: 'heir@example.com', role: 'owner' });
    expect(r.json.previousOwner).toMatchObject({ email: 'admin@krypt.local', role: 'admin' });
    expectError(await call('DELETE', '/v1/projects/handover'), 403, /owner/);
    expectError(await call('DELETE', `/v1/projects/handover/members/heir%40example.com`), 403, /transfer ownership first/);
    expect((await call('DELETE', '/v1/projects/handover', heir)).status).toBe(204);
  });

  it('turns a member production write into a change request and applies it only on approval', async () => {
    expect((await write('production', { set: { EXISTING: 'prod-old-value' } })).status).toBe(200);
    const before = (await call('GET', `${envPath('production')}/keys`)).json.revision as number;
    const w = await write('production', { set: { EXISTING: 'prod-new-value', ADDED: 'prod-added-value' }, delete: ['EXISTING_NOT'] }, t.member);
    expect(w.status).toBe(202);
    const cr = w.json.changeRequest;
    expect(cr).toMatchObject({ project: SLUG, environment: 'production', status: 'pending', requestedBy: 'member@example.com', baseRevision: before, decidedBy: null });
    // the delete of an absent key is a no-op and is not proposed
    expect(cr.changes).toEqual([{ key: 'ADDED', action: 'set' }, { key: 'EXISTING', action: 'set' }]);
    const now = await call('GET', `${envPath('production')}/secrets`);
    expect(now.json.revision).toBe(before);
    expect(now.json.secrets).toEqual({ EXISTING: 'prod-old-value' });

    // encrypted at rest: the proposed values appear nowhere in the database
    const dump = await dbDump();
    for (const v of ['prod-new-value', 'prod-added-value']) expect(dump).not.toContain(v);
    // and a proposed ciphertext cannot be passed off as a secret row
    const item = await srv.db.selectFrom('change_request_items').selectAll().where('key', '=', 'EXISTING').executeTakeFirstOrThrow();
    const secretRow = await srv.db.selectFrom('secrets').selectAll().where('key', '=', 'EXISTING').executeTakeFirstOrThrow();
    await srv.db.updateTable('secrets').set({ value: item.value as string, tag: item.tag as string }).where('key', '=', 'EXISTING').execute();
    expectError(await call('GET', `${envPath('production')}/secrets/EXISTING`), 500);
    await srv.db.updateTable('secrets').set({ value: secretRow.value, tag: secretRow.tag }).where('key', '=', 'EXISTING').execute();

    const masked = await call('GET', `${p}/change-requests/${cr.id}`, t.viewer);
    expect(masked.status).toBe(200);
    expect(masked.json.diff).toEqual([{ key: 'ADDED', change: 'added' }, { key: 'EXISTING', change: 'changed' }]);
    expect(masked.text).not.toContain('prod-');
    expectError(await call('GET', `${p}/change-requests/${cr.id}?reveal=true`, t.viewer), 403, /viewers can see key names only/);
    const revealed = await call('GET', `${p}/change-requests/${cr.id}?reveal=true`, t.member);
    expect(revealed.json.diff).toEqual([
      { key: 'ADDED', change: 'added', current: null, proposed: 'prod-added-value' },
      { key: 'EXISTING', change: 'changed', current: 'prod-old-value', proposed: 'prod-new-value' },
    ]);
    // One key at a time (the dashboard's reveal): only its values, and the audited read names only it.
    const one = await call('GET', `${p}/change-requests/${cr.id}?reveal=true&key=EXISTING`, t.member);
    expect(one.json.diff).toEqual([
      { key: 'ADDED', change: 'added' },
      { key: 'EXISTING', change: 'changed', current: 'prod-old-value', proposed: 'prod-new-value' },
    ]);
    expect(one.text).not.toContain('prod-added-value');
    const read = await srv.db.selectFrom('audit_log').select(['keys', 'details']).where('action', '=', 'change_request.reveal').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(read.keys)).toEqual(['EXISTING']);
    expectError(await call('GET', `${p}/change-requests/${cr.id}?reveal=true&key=OTHER`, t.member), 404, /does not change OTHER/);
    expectError(await call('GET', `${p}/change-requests/${cr.id}?reveal=true&key=EXISTING`, t.viewer), 403, /viewers can see key names only/);
    const pending = await call('GET', `${p}/change-requests?status=pending`, t.viewer);
    expect(pending.json.changeRequests.map((c: { id: number }) => c.id)).toContain(cr.id);

    expectError(await call('POST', `${p}/change-requests/${cr.id}/approve`, t.member, {}), 403, /owner or admin/);
    const ok = await call('POST', `${p}/change-requests/${cr.id}/approve`, t.admin, {});
    expect(ok.status).toBe(200);
    expect(ok.json.revision).toBe(before + 1);
    expect(ok.json.changeRequest).toMatchObject({ status: 'approved', decidedBy: 'admin@example.com' });
    const after = await call('GET', `${envPath('production')}/secrets`);
    expect(after.json).toMatchObject({ revision: before + 1, secrets: { EXISTING: 'prod-new-value', ADDED: 'prod-added-value' } });
    const meta = await call('GET', `${envPath('production')}/keys`);
    expect(meta.json.keys.find((k: { key: string }) => k.key === 'ADDED').updatedBy).toBe('member@example.com');

    expectError(await call('POST', `${p}/change-requests/${cr.id}/approve`, t.admin, {}), 409, /already approved/);
    expectError(await call('POST', `${p}/change-requests/${cr.id}/reject`, undefined, { reason: 'late' }), 409, /already approved/);
    expectError(await call('POST', `${p}/change-requests/${cr.id}/cancel`, t.member), 409, /already approved/);
    expectError(await call('POST', `${p}/change-requests/999/approve`, undefined, {}), 404);
  });

  it('refuses to approve over a conflicting change unless forced', async () => {
    const a = await write('production', { set: { RACE_A: 'race-a-proposed', RACE_B: 'race-b-proposed' } }, t.member);
    expect(a.status).toBe(202);
    expect((await write('production', { set: { RACE_A: 'race-a-direct' } })).status).toBe(200);
    const refused = await call('POST', `${p}/change-requests/${a.json.changeRequest.id}/approve`, undefined, {});
    expectError(refused, 409, /RACE_A/);
    expect(refused.json.error.keys).toEqual(['RACE_A']);
    const still = await call('GET', `${envPath('production')}/secrets`);
    expect(still.json.secrets.RACE_A).toBe('race-a-direct');
    expect(still.json.secrets.RACE_B).toBeUndefined();
    const forced = await call('POST', `${p}/change-requests/${a.json.changeRequest.id}/approve`, undefined, { force: true });
    expect(forced.status).toBe(200);
    const now = await call('GET', `${envPath('production')}/secrets`);
    expect(now.json.secrets).toMatchObject({ RACE_A: 'race-a-proposed', RACE_B: 'race-b-proposed' });
  });

  it('rejects with a reason and lets only the requester cancel', async () => {
    expect((await write('production', { set: { ADDED: 'added-before' } })).status).toBe(200);
    const r1 = (await write('production', { set: { REJECT_ME: 'reject-value' } }, t.member)).json.changeRequest;
    expectError(await call('POST', `${p}/change-requests/${r1.id}/reject`, t.admin, { reason: '' }), 400);
    const rejected = await call('POST', `${p}/change-requests/${r1.id}/reject`, t.admin, { reason: 'use the vault entry instead' });
    expect(rejected.json.changeRequest).toMatchObject({ status: 'rejected', decidedBy: 'admin@example.com', reason: 'use the vault entry instead' });
    // the requester sees the outcome
    const mine = await call('GET', `${p}/change-requests/${r1.id}`, t.member);
    expect(mine.json.changeRequest).toMatchObject({ status: 'rejected', reason: 'use the vault entry instead' });
    expect((await call('GET', `${envPath('production')}/secrets`)).json.secrets.REJECT_ME).toBeUndefined();

    const r2 = (await write('production', { delete: ['ADDED'] }, t.member)).json.changeRequest;
    expect(r2.changes).toEqual([{ key: 'ADDED', action: 'delete' }]);
    expectError(await call('POST', `${p}/change-requests/${r2.id}/cancel`, t.admin), 403, /only the requester/);
    expectError(await call('POST', `${p}/change-requests/${r2.id}/cancel`), 403, /only the requester/);
    const cancelled = await call('POST', `${p}/change-requests/${r2.id}/cancel`, t.member);
    expect(cancelled.json.changeRequest).toMatchObject({ status: 'cancelled', decidedBy: 'member@example.com' });
    expectError(await call('POST', `${p}/change-requests/${r2.id}/approve`, undefined, {}), 409, /already cancelled/);
    const statuses = (await call('GET', `${p}/change-requests`, t.member)).json.changeRequests.map((c: { id: number; status: string }) => [c.id, c.status]);
    expect(statuses.slice(0, 2)).toEqual([[r2.id, 'cancelled'], [r1.id, 'rejected']]);
    const ids = statuses.map((s: [number, string]) => s[0]);
    expect(ids).toEqual([...ids].sort((x: number, y: number) => y - x));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('limits service tokens to reading one project and environment', async () => {
    expect((await write('development', { set: { CI_KEY: 'ci-dev-value' } })).status).toBe(200);
    const created = await call('POST', '/v1/keys', t.member, { name: 'ci', service: { project: SLUG, environment: 'development' } });
    expect(created.status).toBe(201);
    expect(created.json.key.service).toEqual({ project: SLUG, environment: 'development' });
    expectError(await call('POST', '/v1/keys', t.member, { name: 'ci', service: { project: SLUG, environment: 'production' } }), 403, /development and staging only/);
    expectError(await call('POST', '/v1/keys', t.viewer, { name: 'ci', service: { project: SLUG, environment: 'development' } }), 403);
    const st = created.json.token as string;
    const limit = `service tokens are read-only and limited to ${SLUG}/development`;

    const read = await call('GET', `${envPath('development')}/secrets`, st);
    expect(read.status).toBe(200);
    expect(read.json.secrets.CI_KEY).toBe('ci-dev-value');
    expect((await call('GET', `${envPath('development')}/secrets/CI_KEY`, st)).json.value).toBe('ci-dev-value');
    const me = await call('GET', '/v1/me', st);
    expect(me.json.key.service).toEqual({ project: SLUG, environment: 'development' });
    expect(me.json.user.email).toBe('member@example.com');
    expect((await call('GET', '/v1/projects', st)).json.projects.map((x: { slug: string }) => x.slug)).toEqual([SLUG]);

    await srv.call('POST', '/v1/projects', { body: { slug: 'elsewhere' } });
    const refusals: [string, string, unknown?][] = [
      ['GET', `${envPath('staging')}/secrets`],
      ['GET', `${envPath('production')}/keys`],
      ['PATCH', `${envPath('development')}/secrets`, { set: { CI_KEY: 'x' } }],
      ['GET', '/v1/projects/elsewhere/environments/development/secrets'],
      ['GET', '/v1/projects/no-such/environments/development/secrets'],
      ['GET', `${p}/members`],
      ['POST', `${p}/invites`, { email: 'z@example.com', role: 'viewer' }],
      ['GET', `${p}/change-requests`],
      ['GET', `${p}/audit`],
      ['POST', '/v1/keys', { name: 'more' }],
      ['GET', '/v1/keys'],
      ['POST', '/v1/projects', { slug: 'by-token' }],
      ['POST', `${envPath('development')}/secrets/CI_KEY/rollback`, { version: 1 }],
      ['DELETE', `/v1/keys/${created.json.key.id}x`],
    ];
    for (const [method, path, body] of refusals) expectError(await call(method, path, st, body), 403, limit);

    const keys = await call('GET', '/v1/keys', t.member);
    expect(keys.json.keys.find((k: { id: string }) => k.id === created.json.key.id).service).toEqual({ project: SLUG, environment: 'development' });
    expect(keys.json.keys.find((k: { name: string }) => k.name === `invite:${SLUG}`).service).toBeNull();
    expect((await call('DELETE', '/v1/keys/current', st)).status).toBe(204);
    expectError(await call('GET', `${envPath('development')}/secrets`, st), 401);
  });

  it('shows history newest first and rolls back as a new version under the same rules', async () => {
    const at = (env: string) => `${envPath(env)}/secrets/HIST`;
    await write('staging', { set: { HIST: 'hist-one' } });
    await write('staging', { set: { HIST: 'hist-two' } }, t.member);
    await write('staging', { delete: ['HIST'] });
    const h = await call('GET', `${at('staging')}/history`, t.viewer);
    expect(h.status).toBe(200);
    expect(h.json.versions.map((v: { version: number; deleted: boolean; createdBy: string }) => [v.version, v.deleted, v.createdBy])).toEqual([
      [3, true, 'admin@krypt.local'],
      [2, false, 'member@example.com'],
      [1, false, 'admin@krypt.local'],
    ]);
    expect(h.text).not.toContain('hist-');
    expectError(await call('GET', `${at('staging')}/history?reveal=true`, t.viewer), 403, /viewers can see key names only/);
    const revealed = await call('GET', `${at('staging')}/history?reveal=true`, t.member);
    expect(revealed.json.versions.map((v: { value?: string }) => v.value)).toEqual([undefined, 'hist-two', 'hist-one']);
    expectError(await call('GET', `${envPath('staging')}/secrets/NEVER/history`), 404);

    const back = await call('POST', `${at('staging')}/rollback`, t.member, { version: 1 });
    expect(back.status).toBe(200);
    expect(back.json.changed).toEqual(['HIST']);
    const one = await call('GET', at('staging'));
    expect(one.json).toMatchObject({ version: 4, value: 'hist-one' });
    const tomb = await call('POST', `${at('staging')}/rollback`, undefined, { version: 3 });
    expect(tomb.json.deleted).toEqual(['HIST']);
    expectError(await call('GET', at('staging')), 404);
    expectError(await call('POST', `${at('staging')}/rollback`, undefined, { version: 99 }), 404);
    expectError(await call('POST', `${at('staging')}/rollback`, t.viewer, { version: 1 }), 403, /viewers can see key names only/);

    // a member's rollback in production is a change request
    await write('production', { set: { HIST: 'prod-hist-one' } });
    await write('production', { set: { HIST: 'prod-hist-two' } });
    const cr = await call('POST', `${at('production')}/rollback`, t.member, { version: 1 });
    expect(cr.status).toBe(202);
    expect(cr.json.changeRequest.changes).toEqual([{ key: 'HIST', action: 'set' }]);
    expect((await call('GET', at('production'))).json.value).toBe('prod-hist-two');
  });

  it('records every step in the audit log with key names, client details and never a value', async () => {
    // One of each step, then the log.
    expect((await write('production', { set: { EXISTING: 'audit-old-value' } })).status).toBe(200);
    const cr = (await write('production', { set: { EXISTING: 'audit-new-value', ADDED: 'audit-added-value' } }, t.member)).json.changeRequest;
    expect((await call('GET', `${p}/change-requests/${cr.id}?reveal=true`, t.member)).status).toBe(200);
    expect((await call('POST', `${p}/change-requests/${cr.id}/approve`, t.admin, {})).status).toBe(200);
    const rejected = (await write('production', { set: { NOPE: 'audit-rejected-value' } }, t.member)).json.changeRequest;
    expect((await call('POST', `${p}/change-requests/${rejected.id}/reject`, t.admin, { reason: 'no' })).status).toBe(200);
    const cancelled = (await write('production', { set: { LATER: 'audit-cancelled-value' } }, t.member)).json.changeRequest;
    expect((await call('POST', `${p}/change-requests/${cancelled.id}/cancel`, t.member)).status).toBe(200);
    expect((await write('staging', { set: { HIST: 'audit-hist-one' } })).status).toBe(200);
    expect((await write('staging', { set: { HIST: 'audit-hist-two' } })).status).toBe(200);
    expect((await call('GET', `${envPath('staging')}/secrets/HIST/history?reveal=true`)).status).toBe(200);
    expect((await call('POST', `${envPath('staging')}/secrets/HIST/rollback`, undefined, { version: 1 })).status).toBe(200);
    expect((await call('GET', `${envPath('staging')}/secrets/HIST`)).status).toBe(200);
    const key = await call('POST', '/v1/keys', t.member, { name: 'ci', service: { project: SLUG, environment: 'development' } });
    expect((await call('DELETE', `/v1/keys/${key.json.key.id}`, t.member)).status).toBe(204);
    const gone = await join('gone@example.com', 'viewer');
    expect(gone).toMatch(/^krypt_/);
    expect((await call('PATCH', `${p}/members/gone%40example.com`, t.admin, { role: 'member' })).status).toBe(200);
    expect((await call('DELETE', `${p}/members/gone%40example.com`, t.admin)).status).toBe(204);
    expect((await call('POST', '/v1/projects', undefined, { slug: 'handed-over' })).status).toBe(201);
    const heirCode = (await call('POST', '/v1/projects/handed-over/invites', undefined, { email: 'heir@example.com', role: 'admin' })).json.code;
    const heir = (await call('POST', '/v1/invites/redeem', null, { code: heirCode })).json.token as string;
    expect((await call('POST', '/v1/projects/handed-over/transfer-ownership', undefined, { email: 'heir@example.com' })).status).toBe(200);
    expect((await call('DELETE', '/v1/projects/handed-over', heir)).status).toBe(204);

    const headers = { 'x-krypt-command': 'pull', 'user-agent': 'krypt-cli/test' };
    expect((await srv.call('GET', `${envPath('staging')}/secrets`, { token: t.member, headers })).status).toBe(200);
    const rows = await srv.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    const actions = new Set(rows.map((r) => r.action));
    for (const action of [
      'project.create', 'project.delete', 'member.invite', 'member.join', 'member.remove', 'member.role',
      'member.transfer_ownership', 'secrets.read', 'secret.read', 'secrets.write', 'secret.rollback',
      'secret.history.reveal', 'change_request.create', 'change_request.approve', 'change_request.reject',
      'change_request.cancel', 'change_request.reveal', 'key.create', 'key.revoke',
    ]) {
      expect(actions, action).toContain(action);
    }
    const last = rows[rows.length - 1];
    expect(last).toMatchObject({ action: 'secrets.read', actor_email: 'member@example.com', project_slug: SLUG, environment: 'staging', command: 'pull', user_agent: 'krypt-cli/test' });
    expect(last?.ip).toMatch(/127\.0\.0\.1/);
    const approve = rows.find((r) => r.action === 'change_request.approve');
    expect(JSON.parse(approve?.keys ?? '[]')).toEqual(['ADDED', 'EXISTING']);
    const write1 = rows.find((r) => r.action === 'secrets.write' && r.environment === 'production');
    expect(JSON.parse(write1?.keys ?? '[]')).toEqual(['EXISTING']);
    const dump = JSON.stringify(rows);
    for (const v of written.filter((v) => v.length >= 3)) expect(dump).not.toContain(v);
    expect(written.length).toBeGreaterThan(5);
  });
});
