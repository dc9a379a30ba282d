import { Writable } from 'node:stream';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initInstance, openDatabase, parseMasterKey, startServer, type KryptDatabase, type RunningServer } from '../../src/server/entry/index.js';
import { createTestPgDatabase, type TestPgDatabase } from '../helpers/pg.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openStream, type Stream } from '../helpers/sse.js';
import { until, within } from '../helpers/until.js';

// An open change stream lasts only while the credential that opened it would still be accepted:
// it ends at once when its key is revoked through this server, exactly when the key expires, and
// at the next periodic check (recheckMs) when the key was revoked elsewhere (another replica) or
// its user lost read access to the project. Streams per key are capped. Every wait is on an event
// (a stream's end, a response); `within` only bounds how long that may take.

const SLUG = 'guarded';
const eventsPath = (env = 'development') => `/v1/projects/${SLUG}/environments/${env}/events`;

/** Per server: the project, keys, members, and every stream opened (closed after the suite). */
function fixture(srv: () => TestServer) {
  const streams: Stream[] = [];
  return {
    streams,
    async open(token: string, env = 'development'): Promise<Stream> {
      const s = await openStream(srv().url, eventsPath(env), token);
      streams.push(s);
      if (s.status === 200) await s.waitFor(/\n\n/);
      return s;
    },
    async newKey(body: Record<string, unknown> = {}, token?: string): Promise<{ id: string; token: string; expiresAt: string | null }> {
      const r = await srv().call('POST', '/v1/keys', { body: { name: 'watcher', ...body }, ...(token ? { token } : {}) });
      expect(r.status).toBe(201);
      return { id: r.json.key.id, token: r.json.token, expiresAt: r.json.key.expiresAt };
    },
    async join(email: string, role: 'member' | 'admin'): Promise<string> {
      const i = await srv().call('POST', `/v1/projects/${SLUG}/invites`, { body: { email, role } });
      expect(i.status).toBe(201);
      const r = await srv().call('POST', '/v1/invites/redeem', { token: null, body: { code: i.json.code } });
      expect(r.status).toBe(201);
      return r.json.token as string;
    },
  };
}

describe.each(['sqlite', 'postgres'] as const)('change stream access on %s', (dialect) => {
  describe('ended by this server without waiting for a periodic check (recheckMs 60 s)', () => {
    let srv: TestServer;
    const f = fixture(() => srv);
    beforeAll(async () => {
      srv = await startTestServer({ dialect, events: { recheckMs: 60_000, maxStreamsPerKey: 3 } });
      expect((await srv.call('POST', '/v1/projects', { body: { slug: SLUG } })).status).toBe(201);
    });
    afterAll(async () => {
      for (const s of f.streams) s.close();
      await srv?.close();
    });

    it('ends a stream at once when its key is revoked through this server; the key cannot reconnect', async () => {
      const key = await f.newKey();
      const s = await f.open(key.token);
      expect(s.status).toBe(200);
      expect((await srv.call('DELETE', `/v1/keys/${key.id}`)).status).toBe(204);
      await within(s.ended, { timeoutMs: 15_000, what: 'the revoked key’s stream ending' });
      expect((await openStream(srv.url, eventsPath(), key.token)).status).toBe(401);
    });

    it('ends a stream when its key revokes itself (`krypt logout --revoke`)', async () => {
      const key = await f.newKey();
      const s = await f.open(key.token);
      expect((await srv.call('DELETE', '/v1/keys/current', { token: key.token })).status).toBe(204);
      await within(s.ended, { timeoutMs: 15_000, what: 'the self-revoked key’s stream ending' });
    });

    it('ends a stream exactly when its key expires', async () => {
      const key = await f.newKey({ expiresInSeconds: 2 });
      const expiresAt = Date.parse(key.expiresAt!);
      const s = await f.open(key.token);
      expect(s.status).toBe(200);
      await within(s.ended, { timeoutMs: 10_000, what: 'the expiring key’s stream ending' });
      const endedAt = Date.now();
      expect(endedAt).toBeGreaterThanOrEqual(expiresAt - 20);
      // Not later than the expiry timer either: `within` allows 10 s, the periodic check is 60 s away.
      expect((await openStream(srv.url, eventsPath(), key.token)).status).toBe(401);
    });

    it('caps open streams per key: one more is a 429 envelope; other keys are unaffected; closing one frees a slot', async () => {
      const key = await f.newKey();
      const open = [await f.open(key.token), await f.open(key.token), await f.open(key.token)];
      expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
      const refused = await f.open(key.token);
      expect(refused.status).toBe(429);
      await refused.ended;
      const body = JSON.parse(refused.text());
      expect(body.error).toMatchObject({ code: 'rate_limited', requestId: refused.headers['x-request-id'] });
      expect(body.error.message).toMatch(/too many open change streams for this API key \(at most 3\)/);
      expect((await f.open(srv.token)).status).toBe(200);

      open[0]!.close();
      let reopened: Stream | undefined;
      await until(async () => {
        const again = await f.open(key.token);
        if (again.status === 200) reopened = again;
        else again.close();
        return reopened !== undefined;
      }, { what: 'a slot to free up after a stream closed' });
      expect((await srv.call('DELETE', `/v1/keys/${key.id}`)).status).toBe(204);
      await within(Promise.all([open[1]!, open[2]!, reopened!].map((s) => s.ended)), { timeoutMs: 15_000, what: 'the capped key’s streams ending' });
    });
  });

  describe('re-checked periodically (recheckMs 150 ms)', () => {
    let srv: TestServer;
    const f = fixture(() => srv);
    beforeAll(async () => {
      srv = await startTestServer({ dialect, events: { recheckMs: 150 } });
      expect((await srv.call('POST', '/v1/projects', { body: { slug: SLUG } })).status).toBe(201);
    });
    afterAll(async () => {
      for (const s of f.streams) s.close();
      await srv?.close();
    });

    it('ends the stream of a key revoked elsewhere (another replica, an operator) at the next check; valid streams go on', async () => {
      const key = await f.newKey();
      const s = await f.open(key.token);
      const control = await f.open(srv.token);
      await srv.db.updateTable('api_keys').set({ revoked_at: new Date().toISOString() }).where('id', '=', key.id).execute();
      await within(s.ended, { timeoutMs: 10_000, what: 'the stream of a key revoked in the database ending' });
      const write = await srv.call('PATCH', `/v1/projects/${SLUG}/environments/development/secrets`, { body: { set: { A: '1' } } });
      expect(write.status).toBe(200);
      await control.waitFor(new RegExp(`"revision":${write.json.revision}`));
    });

    it('ends the streams of a member who is removed and of one demoted to viewer (and of their service token) at the next check', async () => {
      const removed = await f.join('removed@example.com', 'member');
      const demoted = await f.join('demoted@example.com', 'member');
      const service = await f.newKey({ service: { project: SLUG, environment: 'staging' } }, demoted);
      const streams = [await f.open(removed), await f.open(demoted), await f.open(service.token, 'staging')];
      expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
      const control = await f.open(srv.token);

      expect((await srv.call('DELETE', `/v1/projects/${SLUG}/members/removed@example.com`)).status).toBe(204);
      expect((await srv.call('PATCH', `/v1/projects/${SLUG}/members/demoted@example.com`, { body: { role: 'viewer' } })).status).toBe(200);
      await within(Promise.all(streams.map((s) => s.ended)), { timeoutMs: 10_000, what: 'the streams of the removed and the demoted member ending' });
      expect((await openStream(srv.url, eventsPath(), demoted)).status).toBe(403);
      const write = await srv.call('PATCH', `/v1/projects/${SLUG}/environments/development/secrets`, { body: { set: { B: '2' } } });
      await control.waitFor(new RegExp(`"revision":${write.json.revision}`));
    });
  });
});

describe('change stream access across replicas (PostgreSQL)', () => {
  let pgDb: TestPgDatabase;
  const dbs: KryptDatabase[] = [];
  const servers: RunningServer[] = [];
  const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const d of dbs) await d.destroy();
    await pgDb?.drop();
  });

  it('a key revoked through one replica ends its stream on another within recheckMs', async () => {
    pgDb = await createTestPgDatabase();
    dbs.push(await openDatabase({ databaseUrl: pgDb.url }), await openDatabase({ databaseUrl: pgDb.url }));
    const init = await initInstance({ database: dbs[0]! });
    const masterKey = parseMasterKey(init.masterKey);
    servers.push(await startServer({ database: dbs[0]!, masterKey, port: 0, logDestination: quiet() }));
    servers.push(await startServer({ database: dbs[1]!, masterKey, port: 0, logDestination: quiet(), events: { recheckMs: 200 } }));
    const [a, b] = servers as [RunningServer, RunningServer];
    const headers = { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' };
    expect((await fetch(`${a.url}/v1/projects`, { method: 'POST', headers, body: JSON.stringify({ slug: SLUG }) })).status).toBe(201);
    const created = await fetch(`${a.url}/v1/keys`, { method: 'POST', headers, body: JSON.stringify({ name: 'replica' }) });
    const key = (await created.json()) as { key: { id: string }; token: string };

    const s = await openStream(b.url, eventsPath(), key.token);
    expect(s.status).toBe(200);
    await s.waitFor(/\n\n/);
    expect((await fetch(`${a.url}/v1/keys/${key.key.id}`, { method: 'DELETE', headers: { authorization: headers.authorization } })).status).toBe(204);
    await within(s.ended, { timeoutMs: 10_000, what: 'the stream on the other replica ending' });
  });
});

describe('the periodic check', () => {
  it('is one query per tick for all open streams, not one per stream', async () => {
    const RECHECK_MS = 100;
    const kdb = await openDatabase({ memory: true });
    const init = await initInstance({ database: kdb });
    let queries = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => (queries++, args.node),
      transformResult: async (args) => args.result,
    };
    const server = await startServer({
      database: { ...kdb, db: kdb.db.withPlugin(counting) },
      masterKey: parseMasterKey(init.masterKey),
      port: 0,
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
      events: { recheckMs: RECHECK_MS },
    });
    const streams: Stream[] = [];
    try {
      const headers = { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' };
      expect((await fetch(`${server.url}/v1/projects`, { method: 'POST', headers, body: JSON.stringify({ slug: SLUG }) })).status).toBe(201);
      const tokens = [init.token];
      for (const name of ['k1', 'k2']) {
        const r = await fetch(`${server.url}/v1/keys`, { method: 'POST', headers, body: JSON.stringify({ name }) });
        tokens.push(((await r.json()) as { token: string }).token);
      }
      for (const token of tokens) for (const env of ['development', 'staging']) streams.push(await openStream(server.url, eventsPath(env), token));
      await Promise.all(streams.map((s) => s.waitFor(/\n\n/)));

      // The server is idle now: every query it makes is a periodic check. Six streams, three keys.
      queries = 0;
      const started = Date.now();
      await until(() => queries >= 3, { what: 'three periodic checks' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * RECHECK_MS);
      for (const s of streams) expect(s.text()).toMatch(/^event: revision/);
    } finally {
      for (const s of streams) s.close();
      await server.close();
      await kdb.destroy();
    }
  });
});
