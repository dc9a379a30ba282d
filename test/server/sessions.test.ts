import { request } from 'node:https';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initInstance, openDatabase, parseMasterKey, startServer } from '../../src/server/entry/index.js';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';
import { createTestPki } from '../helpers/tls.js';
import { openStream } from '../helpers/sse.js';
import { within } from '../helpers/until.js';

// Dashboard sign-in over real HTTP on SQLite and PostgreSQL: a sign-in link (asked for with an API
// key) is swapped once for a session cookie; the cookie works on every bearer route until it idles
// out, reaches its absolute end or is revoked; a cookie-authenticated change needs the CSRF token
// and this server's origin; a Viewer reads one value at a time only in a session.

const IDLE = 600;
const ABSOLUTE = 1800;

interface Browser {
  cookie: string;
  csrf: string;
  sessionId: string;
}

describe.each(['sqlite', 'postgres'] as const)('browser sessions on %s', (dialect) => {
  let srv: TestServer;
  let offsetMs = 0;
  const advance = (seconds: number) => (offsetMs += seconds * 1000);
  const codes: string[] = [];
  const cookies: string[] = [];

  const link = async (token: string = srv.token, body: unknown = {}) => {
    const r = await srv.call('POST', '/v1/sign-in-links', { token, body });
    expect(r.status, r.text).toBe(201);
    const url = new URL(r.json.url as string);
    const code = new URLSearchParams(url.hash.slice(1)).get('code') as string;
    codes.push(code);
    return { url, code, expiresAt: r.json.expiresAt as string };
  };
  const swap = (code: string, headers: Record<string, string> = {}) => srv.call('POST', '/v1/sessions', { token: null, body: { code }, headers });
  const cookieOf = (r: ApiResponse) => {
    const set = r.headers.get('set-cookie') ?? '';
    const token = /^krypt_session=([^;]*)/.exec(set)?.[1] ?? '';
    cookies.push(token);
    return token;
  };
  const signIn = async (token: string = srv.token): Promise<Browser> => {
    const r = await swap((await link(token)).code, { 'user-agent': 'TestBrowser/1.0' });
    expect(r.status, r.text).toBe(201);
    return { cookie: `krypt_session=${cookieOf(r)}`, csrf: r.json.csrfToken, sessionId: r.json.session.id };
  };
  /** A request as the browser sends it: the cookie, and (unless told otherwise) the CSRF token. */
  const as = (b: Browser, method: string, path: string, opts: { body?: unknown; csrf?: boolean; headers?: Record<string, string> } = {}) =>
    srv.call(method, path, {
      token: null,
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      headers: { cookie: b.cookie, ...(opts.csrf === false ? {} : { 'x-csrf-token': b.csrf }), ...opts.headers },
    });
  const auditOf = async (action: string) =>
    (await srv.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()).map((r) => ({ ...r, details: JSON.parse(r.details) }));
  const projectExists = async (slug: string) => (await srv.db.selectFrom('projects').select('id').where('slug', '=', slug).executeTakeFirst()) !== undefined;

  beforeAll(async () => {
    srv = await startTestServer({ dialect, sessions: { idleSeconds: IDLE, absoluteSeconds: ABSOLUTE }, now: () => new Date(Date.now() + offsetMs) });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'app' } })).status).toBe(201);
    const w = await srv.call('PATCH', '/v1/projects/app/environments/production/secrets', { body: { set: { DB_PASSWORD: 'owner-prod-password' } } });
    expect(w.status, w.text).toBe(200);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('swaps a one-time link for a session cookie that works on a bearer route', async () => {
    const { url, code, expiresAt } = await link(srv.token, { path: '/projects/app' });
    expect(url.origin).toBe(srv.url);
    expect(url.pathname).toBe('/sign-in');
    expect(url.search).toBe('');
    expect(url.hash).toMatch(/^#code=ksign_[A-Za-z0-9_-]{43}&next=%2Fprojects%2Fapp$/);
    expect(Date.parse(expiresAt) - Date.now() - offsetMs).toBeLessThanOrEqual(120_000);

    const r = await swap(code, { 'user-agent': 'TestBrowser/1.0' });
    expect(r.status, r.text).toBe(201);
    const set = r.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^krypt_session=ksess_[A-Za-z0-9_-]{43}; /);
    expect(set.split('; ').slice(1).sort()).toEqual([`Max-Age=${ABSOLUTE}`, 'HttpOnly', 'Path=/', 'SameSite=Strict'].sort());
    expect(r.json.session).toMatchObject({ current: true, userAgent: 'TestBrowser/1.0', ip: '127.0.0.1' });
    expect(r.json.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const b: Browser = { cookie: `krypt_session=${cookieOf(r)}`, csrf: r.json.csrfToken, sessionId: r.json.session.id };

    const projects = await as(b, 'GET', '/v1/projects', { csrf: false });
    expect(projects.status, projects.text).toBe(200);
    expect(projects.json.projects.map((p: { slug: string }) => p.slug)).toEqual(['app']);
    const current = await as(b, 'GET', '/v1/session', { csrf: false });
    expect(current.status, current.text).toBe(200);
    expect(current.json).toMatchObject({ user: { email: 'admin@krypt.local' }, csrfToken: b.csrf, session: { id: b.sessionId, current: true } });
    expect(current.headers.get('cache-control')).toBe('no-store');

    // once only
    const again = await swap(code);
    expect(again.status, again.text).toBe(401);
    expect(again.json.error.message).toMatch(/sign-in link is invalid, used or expired/);
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a link to another host, from a service token, or from a session', async () => {
    for (const path of ['//evil.example', 'projects', '/\\evil.example', '/a b']) {
      const r = await srv.call('POST', '/v1/sign-in-links', { body: { path } });
      expect(r.status, path).toBe(400);
    }
    // no body at all is the same as {}: the dashboard's home
    const bare = await srv.call('POST', '/v1/sign-in-links');
    expect(bare.status, bare.text).toBe(201);
    expect(new URL(bare.json.url).hash).toMatch(/&next=%2F$/);
    const service = await srv.call('POST', '/v1/keys', { body: { name: 'ci', service: { project: 'app', environment: 'staging' } } });
    const refused = await srv.call('POST', '/v1/sign-in-links', { token: service.json.token, body: {} });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('forbidden');
    const b = await signIn();
    const fromSession = await as(b, 'POST', '/v1/sign-in-links', { body: {} });
    expect(fromSession.status, fromSession.text).toBe(403);
    expect(fromSession.json.error.message).toMatch(/personal API key/);
    // a bearer caller has no browser session
    const bearer = await srv.call('GET', '/v1/session');
    expect(bearer.status).toBe(404);
    expect(bearer.json.error.message).toMatch(/not a browser session/);
  });

  it('refuses an expired link', async () => {
    const { code } = await link();
    advance(121);
    const r = await swap(code);
    expect(r.status, r.text).toBe(401);
    expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('ends a session when idle, slides with use, and ends at its absolute expiry', async () => {
    const idle = await signIn();
    advance(IDLE + 1);
    expect((await as(idle, 'GET', '/v1/projects')).status).toBe(401);

    const busy = await signIn();
    // used every 8 minutes: alive past the 10-minute idle limit, until the 30-minute absolute one
    for (let minute = 8; minute < ABSOLUTE / 60; minute += 8) {
      advance(8 * 60);
      const r = await as(busy, 'GET', '/v1/projects');
      expect(r.status, `minute ${minute}`).toBe(200);
    }
    advance(8 * 60);
    const ended = await as(busy, 'GET', '/v1/projects');
    expect(ended.status).toBe(401);
    expect(ended.json.error.message).toMatch(/browser session is invalid or expired/);
  });

  it('signs out server-side, revokes another session, and lists sessions newest first', async () => {
    const first = await signIn();
    advance(1);
    const second = await signIn();
    const list = await as(second, 'GET', '/v1/sessions');
    expect(list.status, list.text).toBe(200);
    const ids = list.json.sessions.map((s: { id: string }) => s.id);
    expect(ids.slice(0, 2)).toEqual([second.sessionId, first.sessionId]);
    expect(list.json.sessions.filter((s: { current: boolean }) => s.current).map((s: { id: string }) => s.id)).toEqual([second.sessionId]);

    // the bearer list of the same user shows them, none current
    const bearerList = await srv.call('GET', '/v1/sessions');
    expect(bearerList.json.sessions.some((s: { current: boolean }) => s.current)).toBe(false);

    const revoked = await as(second, 'DELETE', `/v1/sessions/${first.sessionId}`);
    expect(revoked.status, revoked.text).toBe(204);
    expect(revoked.headers.get('set-cookie')).toBeNull();
    expect((await as(first, 'GET', '/v1/projects')).status).toBe(401);
    expect((await as(second, 'GET', '/v1/projects')).status).toBe(200);

    const out = await as(second, 'DELETE', '/v1/sessions/current');
    expect(out.status, out.text).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^krypt_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict$/);
    expect((await as(second, 'GET', '/v1/projects')).status).toBe(401);
    expect((await srv.call('GET', '/v1/sessions')).json.sessions.map((s: { id: string }) => s.id)).not.toContain(second.sessionId);

    const signOut = (await auditOf('session.sign_out')).at(-1);
    expect(signOut).toMatchObject({ actor_email: 'admin@krypt.local', details: { sessionId: second.sessionId } });
    const revoke = (await auditOf('session.revoke')).at(-1);
    expect(revoke).toMatchObject({ actor_email: 'admin@krypt.local', details: { sessionId: first.sessionId } });
    const signIns = await auditOf('session.sign_in');
    expect(signIns.find((e) => e.details.sessionId === first.sessionId)).toMatchObject({
      actor_email: 'admin@krypt.local',
      user_agent: 'TestBrowser/1.0',
      details: { userAgent: 'TestBrowser/1.0', via: 'sign-in-link' },
    });
  });

  it('opens a change stream with the cookie; revoking the session ends it at once', async () => {
    const b = await signIn();
    const other = await signIn();
    const s = await openStream(srv.url, '/v1/projects/app/environments/production/events', null, { cookie: b.cookie });
    expect(s.status).toBe(200);
    await s.waitFor(/event: revision/);
    expect((await as(other, 'DELETE', `/v1/sessions/${b.sessionId}`)).status).toBe(204);
    // at once: the periodic check (30 s by default) is not what ends it
    await within(s.ended, { timeoutMs: 10_000, what: 'the revoked session’s stream ending' });
    expect((await openStream(srv.url, '/v1/projects/app/environments/production/events', null, { cookie: b.cookie })).status).toBe(401);
  });

  it('refuses a cross-site form post carrying the cookie before anything runs', async () => {
    const b = await signIn();
    for (const [type, body] of [['application/x-www-form-urlencoded', 'slug=evil-form'], ['text/plain', '{"slug":"evil-text"}']] as const) {
      const res = await fetch(`${srv.url}/v1/projects`, {
        method: 'POST',
        headers: { cookie: b.cookie, 'content-type': type, origin: 'https://evil.example' },
        body,
      });
      expect(res.status, type).toBe(403);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe('csrf');
      expect(json.error.message).toMatch(/cross-site request refused/);
    }
    expect(await projectExists('evil-form')).toBe(false);
    expect(await projectExists('evil-text')).toBe(false);

    // same origin, but no CSRF header (or a wrong one): refused
    const bare = await as(b, 'POST', '/v1/projects', { body: { slug: 'no-header' }, csrf: false });
    expect(bare.status).toBe(403);
    expect(bare.json.error).toMatchObject({ code: 'csrf', message: expect.stringMatching(/x-csrf-token/) });
    const wrong = await as(b, 'POST', '/v1/projects', { body: { slug: 'no-header' }, headers: { 'x-csrf-token': b.csrf.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) } });
    expect(wrong.status).toBe(403);
    // a foreign Origin with the right token: refused too
    const foreign = await as(b, 'POST', '/v1/projects', { body: { slug: 'no-header' }, headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(await projectExists('no-header')).toBe(false);

    // with the token, from this origin: accepted
    const ok = await as(b, 'POST', '/v1/projects', { body: { slug: 'from-browser' }, headers: { origin: srv.url } });
    expect(ok.status, ok.text).toBe(201);
    // a bearer request needs no CSRF header, even with a stale cookie beside it
    const bearer = await srv.call('POST', '/v1/projects', { body: { slug: 'from-cli' }, headers: { cookie: 'krypt_session=ksess_stale' } });
    expect(bearer.status, bearer.text).toBe(201);
  });

  it('lets a Viewer read one value in a session, never with a key, never in bulk; values are no-store', async () => {
    // a Viewer signed up from the dashboard: a session, and no API key
    const inv = await srv.call('POST', '/v1/projects/app/invites', { body: { email: 'vera@example.com', role: 'viewer' } });
    const redeemed = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: inv.json.code, session: true }, headers: { 'user-agent': 'TestBrowser/1.0' } });
    expect(redeemed.status, redeemed.text).toBe(201);
    expect(redeemed.json).toMatchObject({ user: { email: 'vera@example.com' }, project: 'app', role: 'viewer', session: { current: true } });
    expect(redeemed.json.token).toBeUndefined();
    expect(redeemed.text).not.toMatch(/krypt_/);
    const vera = await srv.db.selectFrom('users').select('id').where('email', '=', 'vera@example.com').executeTakeFirstOrThrow();
    expect(await srv.db.selectFrom('api_keys').select('id').where('user_id', '=', vera.id).execute()).toEqual([]);
    const viewer: Browser = { cookie: `krypt_session=${cookieOf(redeemed)}`, csrf: redeemed.json.csrfToken, sessionId: redeemed.json.session.id };
    expect((await auditOf('session.sign_in')).at(-1)).toMatchObject({ actor_email: 'vera@example.com', details: { via: 'invite' } });

    const one = await as(viewer, 'GET', '/v1/projects/app/environments/production/secrets/DB_PASSWORD');
    expect(one.status, one.text).toBe(200);
    expect(one.json.value).toBe('owner-prod-password');
    expect(one.headers.get('cache-control')).toBe('no-store');
    expect((await auditOf('secret.read')).at(-1)).toMatchObject({ actor_email: 'vera@example.com', key_id: null, keys: '["DB_PASSWORD"]' });

    const bulk = await as(viewer, 'GET', '/v1/projects/app/environments/production/secrets');
    expect(bulk.status).toBe(403);
    expect(bulk.text).not.toContain('owner-prod-password');
    const reveal = await as(viewer, 'GET', '/v1/projects/app/environments/production/secrets/DB_PASSWORD/history?reveal=true');
    expect(reveal.status).toBe(403);
    // a session adds nothing else to the role: no writes
    const write = await as(viewer, 'PATCH', '/v1/projects/app/environments/development/secrets', { body: { set: { X: 'viewer-write' } } });
    expect(write.status).toBe(403);
    expect(write.json.error.code).toBe('forbidden');

    // the same Viewer with an API key: refused
    const key = await srv.createUser('vic@example.com');
    const inv2 = await srv.call('POST', '/v1/projects/app/invites', { body: { email: 'vic@example.com', role: 'viewer' } });
    expect((await srv.call('POST', '/v1/invites/accept', { token: key, body: { code: inv2.json.code } })).status).toBe(200);
    const byKey = await srv.call('GET', '/v1/projects/app/environments/production/secrets/DB_PASSWORD', { token: key });
    expect(byKey.status).toBe(403);
    expect(byKey.json.error.message).toMatch(/one at a time in the dashboard/);
    expect(byKey.text).not.toContain('owner-prod-password');

    // every value-carrying response is no-store
    const base = '/v1/projects/app/environments/production/secrets';
    for (const path of [base, `${base}/DB_PASSWORD`, `${base}/DB_PASSWORD/history?reveal=true`]) {
      const r = await srv.call('GET', path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it('never signs an existing account in by redeeming an invite with a session', async () => {
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'other' } })).status).toBe(201);
    const inv = await srv.call('POST', '/v1/projects/other/invites', { body: { email: 'vera@example.com', role: 'admin' } });
    expect(inv.status, inv.text).toBe(201);
    const vera = await srv.db.selectFrom('users').select('id').where('email', '=', 'vera@example.com').executeTakeFirstOrThrow();
    const before = await srv.db.selectFrom('sessions').select('id').where('user_id', '=', vera.id).execute();
    const r = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: inv.json.code, session: true } });
    expect(r.status, r.text).toBe(409);
    expect(r.json.error.message).toMatch(/already has a Krypt account/);
    expect(r.headers.get('set-cookie')).toBeNull();
    expect(await srv.db.selectFrom('sessions').select('id').where('user_id', '=', vera.id).execute()).toEqual(before);
    // and a cross-site redemption is refused outright
    const foreign = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: inv.json.code, session: true }, headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error.code).toBe('csrf');
  });

  it('lets a change request with reveal be no-store', async () => {
    const memberKey = await srv.createUser('mia@example.com');
    const inv = await srv.call('POST', '/v1/projects/app/invites', { body: { email: 'mia@example.com', role: 'member' } });
    expect((await srv.call('POST', '/v1/invites/accept', { token: memberKey, body: { code: inv.json.code } })).status).toBe(200);
    const w = await srv.call('PATCH', '/v1/projects/app/environments/production/secrets', { token: memberKey, body: { set: { NEW_KEY: 'proposed-value' } } });
    expect(w.status, w.text).toBe(202);
    const r = await srv.call('GET', `/v1/projects/app/change-requests/${w.json.changeRequest.id}?reveal=true`);
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('never writes a code, session token or cookie to the audit log or the server log', async () => {
    expect(codes.length).toBeGreaterThan(3);
    expect(cookies.filter(Boolean).length).toBeGreaterThan(3);
    const audit = JSON.stringify(await srv.db.selectFrom('audit_log').selectAll().execute());
    const logs = srv.logs();
    for (const secret of [...codes, ...cookies.filter(Boolean)]) {
      expect(audit).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(audit).not.toMatch(/ksign_|ksess_/);
    expect(logs).not.toMatch(/ksign_|ksess_/);
    const rows = await srv.db.selectFrom('sessions').select('token_hash').execute();
    for (const row of rows) expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

/** One JSON POST over https, trusting `ca`. */
function postTls(url: string, ca: Buffer, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; setCookie: string[]; json: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('session cookies and failed codes', () => {
  it('marks the cookie Secure and the link https when the server serves TLS', async () => {
    const pki = createTestPki();
    const kdb = await openDatabase({ memory: true });
    const init = await initInstance({ database: kdb });
    const server = await startServer({
      database: kdb,
      masterKey: parseMasterKey(init.masterKey),
      port: 0,
      tls: { cert: pki.cert, key: pki.key },
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    try {
      const link = await postTls(`${server.url}/v1/sign-in-links`, pki.ca, {}, { authorization: `Bearer ${init.token}` });
      expect(link.status).toBe(201);
      const url = new URL(link.json.url as string);
      expect(url.origin).toBe(server.url);
      expect(url.protocol).toBe('https:');
      const code = new URLSearchParams(url.hash.slice(1)).get('code');
      const s = await postTls(`${server.url}/v1/sessions`, pki.ca, { code }, { origin: url.origin });
      expect(s.status).toBe(201);
      expect(s.setCookie).toHaveLength(1);
      expect(s.setCookie[0]).toMatch(/^krypt_session=ksess_\S+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await server.close();
      await kdb.destroy();
    }
  });

  it('marks the cookie Secure and the link https behind a TLS proxy', async () => {
    const srv = await startTestServer({ behindTlsProxy: true });
    try {
      const r = await srv.call('POST', '/v1/sign-in-links', { body: {} });
      expect(r.status, r.text).toBe(201);
      const url = new URL(r.json.url);
      expect(url.protocol).toBe('https:');
      const code = new URLSearchParams(url.hash.slice(1)).get('code') as string;
      // the browser's Origin is the public https one
      const s = await srv.call('POST', '/v1/sessions', { token: null, body: { code }, headers: { origin: url.origin } });
      expect(s.status, s.text).toBe(201);
      expect(s.headers.get('set-cookie')).toMatch(/; Secure$/);
    } finally {
      await srv.close();
    }
  });

  it('counts wrong sign-in codes and session cookies against the failure limit', async () => {
    const srv = await startTestServer({ failureLimit: { maxFailures: 3 } });
    try {
      for (let i = 0; i < 2; i++) expect((await srv.call('POST', '/v1/sessions', { token: null, body: { code: `ksign_wrong${i}` } })).status).toBe(401);
      expect((await srv.call('GET', '/v1/projects', { token: null, headers: { cookie: 'krypt_session=ksess_wrong' } })).status).toBe(401);
      const limited = await srv.call('POST', '/v1/sessions', { token: null, body: { code: 'ksign_wrong3' } });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await srv.close();
    }
  });
});
