import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initInstance, openDatabase, parseMasterKey, startServer } from '../../src/server/entry/index.js';
import { watchRevisions } from '../../src/lib/watch/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openStream, type Stream } from '../helpers/sse.js';

// The change stream (GET .../environments/:env/events, Server-Sent Events) over real HTTP on SQLite
// and PostgreSQL: the exact wire format, every committed write path, authorization, shutdown.

const event = (revision: number) => `event: revision\ndata: {"revision":${revision}}\n\n`;

describe.each(['sqlite', 'postgres'] as const)('change stream on %s', (dialect) => {
  let srv: TestServer;
  const SLUG = 'live';
  const p = `/v1/projects/${SLUG}`;
  const envPath = (env: string) => `${p}/environments/${env}`;
  const t = {} as Record<'admin' | 'member' | 'viewer' | 'service', string>;
  const streams: Stream[] = [];

  const call = (method: string, path: string, token?: string, body?: unknown) =>
    srv.call(method, path, { ...(token !== undefined ? { token } : {}), ...(body !== undefined ? { body } : {}) });
  const write = async (env: string, set: Record<string, string>, token?: string, extra: object = {}) => call('PATCH', `${envPath(env)}/secrets`, token, { set, ...extra });
  const open = async (env: string, token: string | null = srv.token) => {
    const s = await openStream(srv.url, `${envPath(env)}/events`, token);
    streams.push(s);
    return s;
  };
  async function join(email: string, role: 'admin' | 'member' | 'viewer') {
    const i = await call('POST', `${p}/invites`, undefined, { email, role });
    expect(i.status).toBe(201);
    const r = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: i.json.code } });
    expect(r.status).toBe(201);
    return r.json.token as string;
  }

  // A server of its own for every test: each one's revisions start at 0.
  beforeEach(async () => {
    srv = await startTestServer({ dialect });
    expect((await call('POST', '/v1/projects', undefined, { slug: SLUG })).status).toBe(201);
    t.admin = await join('admin@example.com', 'admin');
    t.member = await join('member@example.com', 'member');
    t.viewer = await join('viewer@example.com', 'viewer');
    const key = await call('POST', '/v1/keys', t.member, { name: 'ci', service: { project: SLUG, environment: 'staging' } });
    expect(key.status).toBe(201);
    t.service = key.json.token;
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await srv?.close();
  });

  it('sends the current revision on connect, then one event per committed change of this environment only', async () => {
    const s = await open('development');
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(s.headers['cache-control']).toBe('no-store');
    expect(s.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await s.waitFor(/\n\n/);
    expect(s.text()).toBe(event(0));

    expect((await write('development', { A: '1' })).json.revision).toBe(1);
    await s.waitFor(/"revision":1/);
    // No event for: an identical value (no new revision), a conflict (rolled back), another environment.
    expect((await write('development', { A: '1' })).json.revision).toBe(1);
    expect((await write('development', { A: '2' }, undefined, { baseRevision: 0 })).status).toBe(409);
    expect((await write('staging', { S: 'x' })).json.revision).toBe(1);
    expect((await write('development', { B: '2', A: '3' })).json.revision).toBe(2);
    await s.waitFor(/"revision":2/);
    expect(s.text()).toBe(event(0) + event(1) + event(2));
  });

  it('announces rollbacks and approved change requests, not pending ones', async () => {
    const s = await open('production');
    await s.waitFor(/"revision":0/);
    expect((await write('production', { P: 'one' })).json.revision).toBe(1);
    await s.waitFor(/"revision":1/);
    const pending = await write('production', { P: 'two' }, t.member);
    expect(pending.status).toBe(202);
    const id = pending.json.changeRequest.id as number;
    expect((await write('production', { Q: 'q' })).json.revision).toBe(2);
    await s.waitFor(/"revision":2/);
    const approved = await call('POST', `${p}/change-requests/${id}/approve`, t.admin, {});
    expect(approved.status).toBe(200);
    await s.waitFor(/"revision":3/);
    const rolled = await call('POST', `${envPath('production')}/secrets/P/rollback`, undefined, { version: 1 });
    expect(rolled.status).toBe(200);
    await s.waitFor(/"revision":4/);
    expect(s.text()).toBe([0, 1, 2, 3, 4].map(event).join(''));
  });

  it('fans one write out to every open stream of that environment', async () => {
    const [a, b] = [await open('staging'), await open('staging', t.member)];
    await Promise.all([a.waitFor(/\n\n/), b.waitFor(/\n\n/)]);
    const before = Number(/"revision":(\d+)/.exec(a.text())![1]);
    a.close();
    await a.ended;
    expect((await write('staging', { FAN: 'out' })).json.revision).toBe(before + 1);
    await b.waitFor(new RegExp(`"revision":${before + 1}`));
  });

  it('is authorized like a bulk read: members and up, a service token for its own environment only', async () => {
    const anonymous = await open('development', null);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(await anonymous.ended.then(() => anonymous.text())).error.code).toBe('unauthorized');
    expect((await open('development', 'krypt_not-a-real-key')).status).toBe(401);
    const viewer = await open('development', t.viewer);
    expect(viewer.status).toBe(403);
    await viewer.ended;
    expect(JSON.parse(viewer.text()).error.message).toMatch(/viewers can see key names only/);
    expect((await open('development', t.member)).status).toBe(200);
    expect((await open('development', t.admin)).status).toBe(200);
    expect((await open('staging', t.service)).status).toBe(200);
    expect((await open('development', t.service)).status).toBe(403);
    const outsider = await srv.createUser('outsider@example.com');
    expect((await open('development', outsider)).status).toBe(404);
    expect((await openStream(srv.url, '/v1/projects/nope/environments/development/events', srv.token)).status).toBe(404);
    expect((await openStream(srv.url, `${p}/environments/qa/events`, srv.token)).status).toBe(400);
  });

  it('records no audit entry for watching', async () => {
    const s = await open('development', t.member);
    await s.waitFor(/\n\n/);
    const audit = await call('GET', `${p}/audit?actor=member@example.com`);
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.json)).not.toMatch(/watch|events/);
  });
});

describe('change stream on postgres: the LISTEN connection', () => {
  it('is re-established when dropped, and a change made meanwhile is still delivered', async () => {
    const srv = await startTestServer({ dialect: 'postgres' });
    try {
      expect((await srv.call('POST', '/v1/projects', { body: { slug: 'drop' } })).status).toBe(201);
      const path = '/v1/projects/drop/environments/development';
      const s = await openStream(srv.url, `${path}/events`, srv.token);
      await s.waitFor(/\n\n/);
      const listener = sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'krypt-change-feed'`;
      const [before] = (await listener.execute(srv.db)).rows;
      expect(before).toBeDefined();
      await sql`SELECT pg_terminate_backend(${before!.pid})`.execute(srv.db);
      // Written while no connection listens: its NOTIFY is lost, the re-read after reconnecting is not.
      expect((await srv.call('PATCH', `${path}/secrets`, { body: { set: { A: '1' } } })).json.revision).toBe(1);
      await s.waitFor(/"revision":1/);
      const [after] = (await listener.execute(srv.db)).rows;
      expect(after!.pid).not.toBe(before!.pid);
      expect((await srv.call('PATCH', `${path}/secrets`, { body: { set: { A: '2' } } })).json.revision).toBe(2);
      await s.waitFor(/"revision":2/);
      expect(s.text()).toBe(event(0) + event(1) + event(2));
      expect(srv.logs()).toMatch(/change feed: connection lost/);
      s.close();
    } finally {
      await srv.close();
    }
  });
});

describe('change stream timings', () => {
  it('sends a ping comment every heartbeatMs and ends streams after maxStreamMs; the client reconnects', async () => {
    const kdb = await openDatabase({ memory: true });
    const init = await initInstance({ database: kdb });
    const server = await startServer({
      database: kdb,
      masterKey: parseMasterKey(init.masterKey),
      port: 0,
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
      events: { heartbeatMs: 50, maxStreamMs: 400 },
    });
    try {
      const create = await fetch(`${server.url}/v1/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ slug: 'tick' }),
      });
      expect(create.status).toBe(201);
      const s = await openStream(server.url, '/v1/projects/tick/environments/development/events', init.token);
      await s.waitFor(/: ping\n\n: ping\n\n/);
      await s.ended;
      expect(s.text()).toMatch(/^event: revision\ndata: \{"revision":0\}\n\n(: ping\n\n)+$/);

      let connects = 0;
      const stop = new AbortController();
      const watching = watchRevisions({
        apiUrl: server.url,
        token: init.token,
        project: 'tick',
        environment: 'development',
        signal: stop.signal,
        onRevision: () => undefined,
        onDisconnect: () => void connects++,
        backoff: { initialMs: 20, maxMs: 100 },
      });
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => connects >= 2 && (clearInterval(poll), resolve()), 20);
      });
      stop.abort();
      await watching;
    } finally {
      await server.close();
      await kdb.destroy();
    }
  });
});

describe('change stream shutdown', () => {
  it('ends open streams when the server closes, without hanging', async () => {
    const srv = await startTestServer({ dialect: 'postgres' });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'bye' } })).status).toBe(201);
    const streams = await Promise.all([1, 2, 3].map(() => openStream(srv.url, '/v1/projects/bye/environments/development/events', srv.token)));
    await Promise.all(streams.map((s) => s.waitFor(/\n\n/)));
    await srv.close();
    await Promise.all(streams.map((s) => s.ended));
    for (const s of streams) expect(s.text()).toBe(event(0));
  });
});
