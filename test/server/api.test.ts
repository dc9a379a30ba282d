import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Storage + API suite: the same assertions over real HTTP against SQLite and PostgreSQL.

interface Res {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON of many response shapes
  json: any;
  text: string;
}

describe.each(['sqlite', 'postgres'] as const)('API on %s', (dialect) => {
  let srv: TestServer;
  const written: string[] = []; // every secret value sent, for the log leak check
  const tokens: string[] = [];

  async function call(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string; contentType?: string } = {}): Promise<Res> {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? srv.token : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await fetch(srv.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: Res['json'];
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  const envPath = (slug: string, env = 'development') => `/v1/projects/${slug}/environments/${env}`;
  async function write(slug: string, body: Record<string, unknown>, env = 'development', token?: string) {
    for (const v of Object.values((body.set as Record<string, string>) ?? {})) written.push(v);
    return call('PATCH', `${envPath(slug, env)}/secrets`, { body, ...(token ? { token } : {}) });
  }
  async function revision(slug: string, env = 'development'): Promise<number> {
    const r = await call('GET', `${envPath(slug, env)}/keys`);
    expect(r.status).toBe(200);
    return r.json.revision;
  }
  function expectEnvelope(r: Res, status: number, code: string) {
    expect(r.status).toBe(status);
    expect(r.json?.error?.code).toBe(code);
    expect(typeof r.json.error.message).toBe('string');
    expect(r.json.error.requestId).toBe(r.headers.get('x-request-id'));
    expect(r.text).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|stack|SELECT|INSERT/i);
  }

  beforeAll(async () => {
    srv = await startTestServer({ dialect, bodyLimit: 1024 * 1024 });
    tokens.push(srv.token);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('serves healthz without auth and an OpenAPI document', async () => {
    const h = await call('GET', '/healthz', { token: null });
    expect(h.status).toBe(200);
    expect(h.json).toEqual({ status: 'ok' });
    const o = await call('GET', '/v1/openapi.json', { token: null });
    expect(o.status).toBe(200);
    expect(o.json.openapi).toMatch(/^3\./);
    expect(Object.keys(o.json.paths)).toEqual(
      expect.arrayContaining(['/v1/me', '/v1/projects', '/v1/projects/{slug}/environments/{env}/secrets', '/v1/keys/{id}']),
    );
    const patch = o.json.paths['/v1/projects/{slug}/environments/{env}/secrets'].patch;
    expect(patch.requestBody.content['application/json'].schema.properties).toHaveProperty('baseRevision');
  });

  it('identifies the caller with GET /v1/me', async () => {
    const r = await call('GET', '/v1/me');
    expect(r.status).toBe(200);
    expect(r.json.user.email).toBe('admin@krypt.local');
    expect(r.json.key.prefix).toBe(srv.token.slice(0, 12));
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('creates, lists and deletes projects', async () => {
    const c = await call('POST', '/v1/projects', { body: { slug: 'kept' } });
    expect(c.status).toBe(201);
    expect(c.json.project).toMatchObject({ slug: 'kept', role: 'owner' });
    expectEnvelope(await call('POST', '/v1/projects', { body: { slug: 'kept' } }), 409, 'conflict');
    await call('POST', '/v1/projects', { body: { slug: 'doomed' } });
    const l = await call('GET', '/v1/projects');
    const slugs = l.json.projects.map((p: { slug: string }) => p.slug) as string[];
    expect(slugs).toEqual(expect.arrayContaining(['doomed', 'kept']));
    expect(slugs).toEqual([...slugs].sort());
    await write('doomed', { set: { A: 'doomed-value' } });
    const d = await call('DELETE', '/v1/projects/doomed');
    expect(d.status).toBe(204);
    expectEnvelope(await call('GET', `${envPath('doomed')}/keys`), 404, 'not_found');
    const leftovers = await srv.db.selectFrom('environments').innerJoin('projects', 'projects.id', 'environments.project_id').select('environments.id').where('projects.slug', '=', 'doomed').execute();
    expect(leftovers).toEqual([]);
    const envs = await srv.db.selectFrom('environments').select('id').execute();
    const secrets = await srv.db.selectFrom('secrets').select('environment_id').execute();
    expect(secrets.every((s) => envs.some((e) => e.id === s.environment_id))).toBe(true);
    expectEnvelope(await call('DELETE', '/v1/projects/doomed'), 404, 'not_found');
    expect((await call('GET', '/v1/projects')).json.projects.map((p: { slug: string }) => p.slug)).not.toContain('doomed');
  });

  it('writes, reads, lists keys and reads one secret, with revisions and versions', async () => {
    expect((await call('POST', '/v1/projects', { body: { slug: 'proj-a' } })).status).toBe(201);
    const tricky = 'multi\nline "quoted" $dollar #hash ünïcødé \'single\'';
    const w1 = await write('proj-a', { set: { DATABASE_URL: 'postgres://db-secret-1', TRICKY: tricky, EMPTY: '' } });
    expect(w1.status).toBe(200);
    expect(w1.json).toEqual({ revision: 1, changed: ['DATABASE_URL', 'EMPTY', 'TRICKY'], deleted: [] });
    const all = await call('GET', `${envPath('proj-a')}/secrets`);
    expect(all.status).toBe(200);
    expect(all.headers.get('etag')).toBe('"1"');
    expect(all.json).toEqual({
      project: 'proj-a',
      environment: 'development',
      revision: 1,
      secrets: { DATABASE_URL: 'postgres://db-secret-1', TRICKY: tricky, EMPTY: '' },
    });
    // identical value: not a change, revision stays
    const same = await write('proj-a', { set: { DATABASE_URL: 'postgres://db-secret-1' } });
    expect(same.json).toEqual({ revision: 1, changed: [], deleted: [] });
    // deleting a missing key is not an error and not a change
    const noop = await write('proj-a', { delete: ['NOPE'] });
    expect(noop.status).toBe(200);
    expect(noop.json).toEqual({ revision: 1, changed: [], deleted: [] });
    const w2 = await write('proj-a', { set: { DATABASE_URL: 'postgres://db-secret-2' }, delete: ['EMPTY'] });
    expect(w2.json).toEqual({ revision: 2, changed: ['DATABASE_URL'], deleted: ['EMPTY'] });
    const keys = await call('GET', `${envPath('proj-a')}/keys`);
    expect(keys.json.revision).toBe(2);
    expect(keys.json.keys.map((k: { key: string; version: number }) => [k.key, k.version])).toEqual([
      ['DATABASE_URL', 2],
      ['TRICKY', 1],
    ]);
    expect(keys.json.keys[0].updatedBy).toBe('admin@krypt.local');
    expect(keys.text).not.toContain('db-secret');
    const one = await call('GET', `${envPath('proj-a')}/secrets/DATABASE_URL`);
    expect(one.json).toMatchObject({ key: 'DATABASE_URL', version: 2, value: 'postgres://db-secret-2' });
    expectEnvelope(await call('GET', `${envPath('proj-a')}/secrets/EMPTY`), 404, 'not_found');
    // re-creating a deleted key continues its version count (tombstone kept in history)
    const w3 = await write('proj-a', { set: { EMPTY: 'back-again' } });
    expect(w3.json.revision).toBe(3);
    expect((await call('GET', `${envPath('proj-a')}/secrets/EMPTY`)).json.version).toBe(3);
    const history = await srv.db.selectFrom('secret_versions').selectAll().where('key', '=', 'EMPTY').orderBy('version').execute();
    expect(history.map((h) => [h.version, Number(h.deleted), h.revision])).toEqual([[1, 0, 1], [2, 1, 2], [3, 0, 3]]);
    // other environments are independent
    expect(await revision('proj-a', 'production')).toBe(0);
    expect((await call('GET', `${envPath('proj-a', 'staging')}/secrets`)).json.secrets).toEqual({});
  });

  it('merges concurrent writes to different keys and refuses a stale write to the same key', async () => {
    await call('POST', '/v1/projects', { body: { slug: 'conflicts' } });
    const base = (await write('conflicts', { set: { A: 'a0', B: 'b0', C: 'c0' } })).json.revision as number;
    const x = await write('conflicts', { baseRevision: base, set: { A: 'a1' } });
    const y = await write('conflicts', { baseRevision: base, set: { B: 'b1' } });
    expect(x.status).toBe(200);
    expect(y.status).toBe(200);
    expect(y.json.revision).toBe(base + 2);
    const z = await write('conflicts', { baseRevision: base, set: { A: 'a2', C: 'c2' } });
    expectEnvelope(z, 409, 'conflict');
    expect(z.json.error.keys).toEqual(['A']);
    const del = await write('conflicts', { baseRevision: base, delete: ['B'] });
    expect(del.status).toBe(409);
    expect(del.json.error.keys).toEqual(['B']);
    const state = await call('GET', `${envPath('conflicts')}/secrets`);
    expect(state.json.revision).toBe(base + 2);
    expect(state.json.secrets).toEqual({ A: 'a1', B: 'b1', C: 'c0' });
    // a write deleted after base is a conflict for the key it deleted
    const d = await write('conflicts', { delete: ['C'] });
    const stale = await write('conflicts', { baseRevision: base + 2, set: { C: 'c3' } });
    expect(stale.json.error.keys).toEqual(['C']);
    expect((await write('conflicts', { baseRevision: d.json.revision, set: { C: 'c3' } })).status).toBe(200);
    expectEnvelope(await write('conflicts', { baseRevision: 999, set: { Q: 'q' } }), 409, 'conflict');
  });

  it('serialises truly concurrent writers from the same base', async () => {
    await call('POST', '/v1/projects', { body: { slug: 'race' } });
    const base = (await write('race', { set: { K: 'k0' } })).json.revision as number;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => write('race', { baseRevision: base, set: { K: `k-${i}` } })),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
    const merged = await Promise.all(
      Array.from({ length: 8 }, (_, i) => write('race', { baseRevision: base + 1, set: { [`M${i}`]: `m-${i}` } })),
    );
    expect(merged.every((r) => r.status === 200)).toBe(true);
    expect(await revision('race')).toBe(base + 9);
  });

  it('manages API keys, stores only hashes, refuses revoked and expired keys', async () => {
    const created = await call('POST', '/v1/keys', { body: { name: 'laptop' } });
    expect(created.status).toBe(201);
    const token: string = created.json.token;
    tokens.push(token);
    expect(token).toMatch(/^krypt_[A-Za-z0-9_-]{43}$/);
    expect(created.json.key).toMatchObject({ name: 'laptop', prefix: token.slice(0, 12), revokedAt: null });
    const me = await call('GET', '/v1/me', { token });
    expect(me.json.key.id).toBe(created.json.key.id);
    expect(me.json.key.lastUsedAt).not.toBeNull();
    const list = await call('GET', '/v1/keys');
    expect(list.json.keys.map((k: { name: string }) => k.name)).toEqual(expect.arrayContaining(['init', 'laptop']));
    expect(list.text).not.toContain(token);

    // the token text appears nowhere in the database
    for (const table of ['meta', 'users', 'api_keys', 'projects', 'environments', 'memberships', 'secrets', 'secret_versions'] as const) {
      const rows = await srv.db.selectFrom(table).selectAll().execute();
      const dump = JSON.stringify(rows);
      for (const t of tokens) expect(dump).not.toContain(t);
      for (const t of tokens) expect(dump).not.toContain(t.slice(6));
    }
    const { createHash } = await import('node:crypto');
    const hashes = (await srv.db.selectFrom('api_keys').select('hash').execute()).map((r) => r.hash);
    expect(hashes).toContain(createHash('sha256').update(token).digest('hex'));

    // revoke via "current"
    expect((await call('DELETE', '/v1/keys/current', { token })).status).toBe(204);
    const revoked = await call('GET', '/v1/me', { token });
    expectEnvelope(revoked, 401, 'unauthorized');
    expect(revoked.json.error.message).toBe('invalid or expired API key');

    // expired: set expiry in the past directly
    const second = await call('POST', '/v1/keys', { body: { name: 'short', expiresInSeconds: 3600 } });
    tokens.push(second.json.token);
    expect((await call('GET', '/v1/me', { token: second.json.token })).status).toBe(200);
    await srv.db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', second.json.key.id).execute();
    const expired = await call('GET', '/v1/me', { token: second.json.token });
    expectEnvelope(expired, 401, 'unauthorized');
    expect(expired.json.error.message).toBe('invalid or expired API key');

    expectEnvelope(await call('GET', '/v1/me', { token: null }), 401, 'unauthorized');
    expectEnvelope(await call('GET', '/v1/me', { token: 'krypt_' + 'x'.repeat(43) }), 401, 'unauthorized');
    expectEnvelope(await call('DELETE', '/v1/keys/no-such-key'), 404, 'not_found');
  });

  it('hides projects from non-members and enforces roles', async () => {
    expect((await call('POST', '/v1/projects', { body: { slug: 'roles' } })).status).toBe(201);
    expect((await write('roles', { set: { TRICKY: 'roles-secret-value' } })).status).toBe(200);
    const outsider = await srv.createUser('outsider@example.com');
    tokens.push(outsider);
    const r = await call('GET', `${envPath('roles')}/secrets`, { token: outsider });
    expectEnvelope(r, 404, 'not_found');
    const missing = await call('GET', `${envPath('no-such-project')}/secrets`, { token: outsider });
    expect(missing.json.error.message).toBe(r.json.error.message.replace('roles', 'no-such-project'));
    expectEnvelope(await call('DELETE', '/v1/projects/roles', { token: outsider }), 404, 'not_found');
    expect((await call('GET', '/v1/projects', { token: outsider })).json.projects).toEqual([]);

    const project = await srv.db.selectFrom('projects').select('id').where('slug', '=', 'roles').executeTakeFirstOrThrow();
    const addMember = async (email: string, role: string) => {
      const token = await srv.createUser(email);
      tokens.push(token);
      const user = await srv.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
      await srv.db.insertInto('memberships').values({ project_id: project.id, user_id: user.id, role, created_at: new Date().toISOString() }).execute();
      return token;
    };
    const viewer = await addMember('viewer@example.com', 'viewer');
    const member = await addMember('member@example.com', 'member');
    const admin = await addMember('admin@example.com', 'admin');
    const before = await revision('roles', 'production');

    expect((await call('GET', `${envPath('roles')}/keys`, { token: viewer })).status).toBe(200);
    const vr = await call('GET', `${envPath('roles')}/secrets`, { token: viewer });
    expectEnvelope(vr, 403, 'forbidden');
    expect(vr.json.error.message).toContain('viewers can see key names only');
    expectEnvelope(await call('GET', `${envPath('roles')}/secrets/TRICKY`, { token: viewer }), 403, 'forbidden');
    expectEnvelope(await write('roles', { set: { V: 'viewer-attempt' } }, 'development', viewer), 403, 'forbidden');

    expect((await write('roles', { set: { M: 'member-dev' } }, 'development', member)).status).toBe(200);
    expect((await call('GET', `${envPath('roles')}/secrets`, { token: member })).status).toBe(200);
    // a member's production write applies nothing: it becomes a pending change request
    const mp = await write('roles', { set: { M: 'member-prod' } }, 'production', member);
    expect(mp.status).toBe(202);
    expect(mp.json.changeRequest).toMatchObject({ status: 'pending', environment: 'production', changes: [{ key: 'M', action: 'set' }] });
    expect(await revision('roles', 'production')).toBe(before);

    expect((await write('roles', { set: { P: 'admin-prod' } }, 'production', admin)).status).toBe(200);
    const ad = await call('DELETE', '/v1/projects/roles', { token: admin });
    expectEnvelope(ad, 403, 'forbidden');
    expect(ad.json.error.message).toContain('owner');
    expectEnvelope(await call('DELETE', '/v1/projects/roles', { token: member }), 403, 'forbidden');
  });

  it('rejects bad input with a clear envelope and changes nothing', async () => {
    await call('POST', '/v1/projects', { body: { slug: 'bad-input' } });
    await write('bad-input', { set: { KEEP: 'keep-me' } });
    const before = await revision('bad-input');
    const p = `${envPath('bad-input')}/secrets`;

    const malformed = await call('PATCH', p, { raw: '{"set": {"A": "x"' });
    expectEnvelope(malformed, 400, 'validation');
    expect(malformed.json.error.message).toContain('JSON');

    const badKey = await write('bad-input', { set: { '1BAD': 'bad-key-value-xyz', OK: 'fine' } });
    expectEnvelope(badKey, 400, 'validation');
    expect(badKey.json.error.message).toContain('set.1BAD: key names must match');
    expect(badKey.text).not.toContain('bad-key-value-xyz');
    expectEnvelope(await write('bad-input', { delete: ['has-dash'] }), 400, 'validation');

    const big = 'v'.repeat(64 * 1024 + 1);
    const tooBig = await write('bad-input', { set: { BIG: big } });
    expectEnvelope(tooBig, 400, 'validation');
    expect(tooBig.json.error.message).toContain('set.BIG');
    expect(tooBig.text).not.toContain('vvvvvvvvvv');
    expect((await write('bad-input', { set: { MAX: 'x'.repeat(64 * 1024) } })).status).toBe(200);
    const afterMax = await revision('bad-input');
    expect(afterMax).toBe(before + 1);

    const garbage = [
      { set: { A: 5 } },
      { set: ['A'] },
      { delete: 'A' },
      { baseRevision: -1, set: { A: 'x' } },
      { baseRevision: 'one', set: { A: 'x' } },
      { set: { A: 'x' }, delete: ['A'] },
      { set: { A: 'x' }, extra: true },
      [],
      'string',
      null,
    ];
    for (const body of garbage) {
      const r = await call('PATCH', p, { raw: JSON.stringify(body) });
      expectEnvelope(r, 400, 'validation');
    }

    expectEnvelope(await write('no-such-project', { set: { A: 'x' } }), 404, 'not_found');
    const badEnv = await call('GET', `/v1/projects/bad-input/environments/prod/secrets`);
    expectEnvelope(badEnv, 400, 'validation');
    expect(badEnv.json.error.message).toContain('env');
    expectEnvelope(await call('PATCH', `/v1/projects/bad-input/environments/qa/secrets`, { body: { set: { A: 'x' } } }), 400, 'validation');
    expectEnvelope(await call('POST', '/v1/projects', { body: { slug: 'Bad Slug!' } }), 400, 'validation');

    const huge = await call('PATCH', p, { raw: JSON.stringify({ set: { A: 'y'.repeat(1024 * 1024 + 10) } }) });
    expectEnvelope(huge, 413, 'payload_too_large');

    const text = await call('PATCH', p, { raw: 'A=1', contentType: 'text/plain' });
    expectEnvelope(text, 415, 'unsupported_media_type');

    expectEnvelope(await call('GET', '/v1/nowhere'), 404, 'not_found');
    expectEnvelope(await call('GET', '/nowhere', { token: null }), 404, 'not_found');

    expect(await revision('bad-input')).toBe(afterMax);
    expect((await call('GET', p)).json.secrets.KEEP).toBe('keep-me');
  });

  it('never logs secret values or tokens', async () => {
    // Its own traffic, besides whatever the other tests of this file sent before it.
    expect((await call('POST', '/v1/projects', { body: { slug: 'logged' } })).status).toBe(201);
    expect((await write('logged', { set: { LOGGED: 'logged-secret-value' } })).status).toBe(200);
    expect((await call('GET', `${envPath('logged')}/secrets`)).status).toBe(200);
    expect((await call('GET', `${envPath('logged')}/secrets/LOGGED`)).status).toBe(200);
    const logs = srv.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContain('"reqId"');
    for (const v of written.filter((v) => v.length >= 3)) expect(logs).not.toContain(v);
    for (const t of tokens) {
      expect(logs).not.toContain(t);
      expect(logs).not.toContain(t.slice(6));
    }
    expect(logs).not.toContain(srv.masterKey);
  });

  it('keeps the schema on a real engine', async () => {
    const r = await sql<{ n: number }>`select 1 as n`.execute(srv.db);
    expect(Number(r.rows[0]?.n)).toBe(1);
  });
});
