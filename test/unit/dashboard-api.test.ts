import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/contract/routes.js';
import { ApiError, buildRequest, createApi, CSRF_HEADER, tableRequest } from '../../src/dashboard/api.js';

// The dashboard's API module: every request built from the route table, same-origin credentials,
// the CSRF header on every state-changing request, and the error envelope shown by its message.

interface Sent {
  url: string;
  init: RequestInit & { headers: Record<string, string> };
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A fetch answering from `answers` in order, recording what was sent. */
function fakeFetch(...answers: (Response | Error)[]) {
  const sent: Sent[] = [];
  const fn = (async (url: string, init: Sent['init']) => {
    sent.push({ url, init });
    const next = answers.shift();
    if (!next) throw new Error('no answer left');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { fn, sent };
}

const SESSION = { session: { id: 's1' }, user: { id: 'u1', email: 'ada@example.com' }, csrfToken: 'csrf-123' };

async function signedIn(...answers: (Response | Error)[]) {
  const f = fakeFetch(json(200, SESSION), ...answers);
  const api = createApi({ fetch: f.fn });
  await api.currentSession();
  f.sent.length = 0;
  return { api, sent: f.sent };
}

describe('buildRequest', () => {
  it('a GET: same-origin credentials, no HTTP cache, no CSRF header, no body', () => {
    const { url, init } = buildRequest({ ...tableRequest('listKeys', { slug: 'my-app', env: 'staging' }), csrfToken: 'tok' });
    expect(url).toBe('/v1/projects/my-app/environments/staging/keys');
    expect(init).toMatchObject({ method: 'GET', credentials: 'same-origin', cache: 'no-store' });
    expect(init.headers).toEqual({ accept: 'application/json' });
    expect(init.body).toBeUndefined();
  });

  it('a non-GET carries the CSRF token and a JSON body', () => {
    const { url, init } = buildRequest({ ...tableRequest('writeSecrets', { slug: 'my-app', env: 'production' }), body: { set: { A: '1' } }, csrfToken: 'tok' });
    expect(url).toBe('/v1/projects/my-app/environments/production/secrets');
    expect(init.method).toBe('PATCH');
    expect(init.headers).toEqual({ accept: 'application/json', 'content-type': 'application/json', [CSRF_HEADER]: 'tok' });
    expect(init.body).toBe('{"set":{"A":"1"}}');
  });

  it('refuses a non-GET without a CSRF token, before anything is sent', () => {
    expect(() => buildRequest({ method: 'DELETE', path: '/v1/sessions/current' })).toThrow(ApiError);
  });

  it('takes method and path from the route table, parameters percent-encoded', () => {
    for (const id of ['listProjects', 'createProject', 'listKeys', 'getSecret', 'writeSecrets'] as const) {
      const { method, path } = tableRequest(id, { slug: 'a b', env: 'development', key: 'K_1' } as never);
      expect(method).toBe(ROUTES[id].method);
      expect(path.startsWith('/v1/')).toBe(true);
    }
    expect(tableRequest('getSecret', { slug: 'my-app', env: 'development', key: 'DATABASE_URL' }).path).toBe('/v1/projects/my-app/environments/development/secrets/DATABASE_URL');
    expect(tableRequest('listKeys', { slug: 'a/b', env: 'development' }).path).toBe('/v1/projects/a%2Fb/environments/development/keys');
  });

  it('the session routes come from the route table like every other', () => {
    expect(tableRequest('currentSession', {})).toEqual({ method: 'GET', path: '/v1/session' });
    expect(tableRequest('createSession', {})).toEqual({ method: 'POST', path: '/v1/sessions' });
    expect(tableRequest('revokeSession', { id: 'current' })).toEqual({ method: 'DELETE', path: '/v1/sessions/current' });
    expect(tableRequest('listSessions', {})).toEqual({ method: 'GET', path: '/v1/sessions' });
  });
});

describe('createApi', () => {
  it('currentSession keeps the CSRF token in memory and sends it on every write', async () => {
    const f = fakeFetch(json(200, SESSION), json(201, { project: { slug: 'my-app', role: 'owner', createdAt: 'now' } }), new Response(null, { status: 204 }));
    const api = createApi({ fetch: f.fn });
    expect(await api.currentSession()).toEqual(SESSION);
    expect(f.sent[0]!.init.headers[CSRF_HEADER]).toBeUndefined();
    await api.createProject('my-app');
    expect(f.sent[1]!.url).toBe('/v1/projects');
    expect(f.sent[1]!.init.headers[CSRF_HEADER]).toBe('csrf-123');
    expect(f.sent[1]!.init.body).toBe('{"slug":"my-app"}');
    await api.signOut();
    expect(f.sent[2]).toMatchObject({ url: '/v1/sessions/current', init: { method: 'DELETE', credentials: 'same-origin' } });
    expect(f.sent[2]!.init.headers[CSRF_HEADER]).toBe('csrf-123');
    // Signed out: the token is gone, so a write is refused locally.
    await expect(api.createProject('x')).rejects.toMatchObject({ code: 'no_session' });
  });

  it('currentSession is null on 401 (not signed in)', async () => {
    const f = fakeFetch(json(401, { error: { code: 'unauthorized', message: 'not signed in', requestId: 'r1' } }));
    expect(await createApi({ fetch: f.fn }).currentSession()).toBeNull();
  });

  it('createSession posts the code without a CSRF header and keeps the token it gets', async () => {
    const f = fakeFetch(json(201, { session: { id: 's2' }, csrfToken: 'csrf-new' }), json(200, { projects: [] }), json(201, { project: { slug: 'p', role: 'owner', createdAt: 'now' } }));
    const api = createApi({ fetch: f.fn });
    await api.createSession('one-time-code');
    expect(f.sent[0]).toMatchObject({ url: '/v1/sessions', init: { method: 'POST', body: '{"code":"one-time-code"}', credentials: 'same-origin' } });
    expect(f.sent[0]!.init.headers[CSRF_HEADER]).toBeUndefined();
    await api.listProjects();
    await api.createProject('p');
    expect(f.sent[2]!.init.headers[CSRF_HEADER]).toBe('csrf-new');
  });

  it('turns the error envelope into an ApiError with its message, code, request id and keys', async () => {
    const { api } = await signedIn(json(409, { error: { code: 'conflict', message: 'A changed since revision 3', requestId: 'req-9', keys: ['A'] } }));
    const err = await api.writeSecrets('my-app', 'development', { set: { A: 'x' }, baseRevision: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'conflict', message: 'A changed since revision 3', requestId: 'req-9', keys: ['A'] });
  });

  it('an answer that is not the envelope says only its status; a network failure says so', async () => {
    const { api } = await signedIn(new Response('<html>proxy error</html>', { status: 502, statusText: 'Bad Gateway' }), new TypeError('fetch failed'));
    await expect(api.listProjects()).rejects.toMatchObject({ status: 502, code: 'bad_response', message: 'the server answered 502 Bad Gateway' });
    await expect(api.listProjects()).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('a 401 on any call tells the page the session ended', async () => {
    let told = 0;
    const f = fakeFetch(json(401, { error: { code: 'unauthorized', message: 'session expired', requestId: 'r' } }));
    const api = createApi({ fetch: f.fn, onUnauthorized: () => told++ });
    await expect(api.listProjects()).rejects.toMatchObject({ message: 'session expired' });
    expect(told).toBe(1);
  });

  it('writeSecrets: 200 is applied, 202 is a change request', async () => {
    const cr = { id: 4, project: 'my-app', environment: 'production', status: 'pending', requestedBy: 'm@example.com', createdAt: 'now', baseRevision: 2, changes: [{ key: 'A', action: 'set' }], decidedBy: null, decidedAt: null, reason: null };
    const { api, sent } = await signedIn(json(200, { revision: 3, changed: ['A'], deleted: [] }), json(202, { changeRequest: cr }));
    expect(await api.writeSecrets('my-app', 'development', { set: { A: '1' } })).toEqual({ status: 200, revision: 3, changed: ['A'], deleted: [] });
    expect(await api.writeSecrets('my-app', 'production', { delete: ['A'] })).toEqual({ status: 202, changeRequest: cr });
    expect(sent[1]!.init.body).toBe('{"delete":["A"]}');
  });

  it('getSecret reads one value from its own route', async () => {
    const { api, sent } = await signedIn(json(200, { key: 'A', version: 1, updatedAt: 'now', updatedBy: 'x', value: 's3cr3t' }));
    expect((await api.getSecret('my-app', 'staging', 'A')).value).toBe('s3cr3t');
    expect(sent[0]).toMatchObject({ url: '/v1/projects/my-app/environments/staging/secrets/A', init: { method: 'GET', cache: 'no-store' } });
  });
});
