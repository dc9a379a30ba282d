import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { STATUS_OF } from '../../src/contract/index.js';
import { ROUTE_SCHEMAS } from '../../src/contract/route-schemas.js';
import { ROUTE_IDS, ROUTES, routePath, type RouteId } from '../../src/contract/routes.js';
import { buildApp } from '../../src/server/app.js';
import { deriveKeys } from '../../src/server/crypto/value-crypto.js';
import { guardRouteTable } from '../../src/server/routes/register-routes.js';
import { bootstrapUser } from '../../src/server/services/instance-service.js';
import { openTestDatabase, startTestServer } from '../helpers/server.js';

// The server's routes are the contract's route table: every entry is registered with its method,
// URL and bearer check, nothing else answers under /v1, and the OpenAPI document lists each entry.

const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });
// A value for every path parameter of the table.
const PARAMS = { slug: 'no-such-project', env: 'development', key: 'KEY', id: '1', email: 'a@b.io' };
const concrete = (id: RouteId) => routePath(id, PARAMS as never);

describe('the route table and the server', () => {
  let app: FastifyInstance;
  let token: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const { kdb } = await openTestDatabase('sqlite');
    token = (await bootstrapUser(kdb.db, { email: 'admin@krypt.local' })).token;
    app = await buildApp({ db: kdb.db, dialect: 'sqlite', keys: deriveKeys(randomBytes(32)), logDestination: quiet(), failureLimit: { maxFailures: 1_000_000 } });
    close = async () => {
      await app.close();
      await kdb.destroy();
    };
  });
  afterAll(() => close?.());

  it('refuses a /v1 route outside the table, or one that disagrees with its entry', async () => {
    // An app of its own, built but not started: routes may still be added to it.
    const { kdb } = await openTestDatabase('sqlite');
    const app = await buildApp({ db: kdb.db, dialect: 'sqlite', keys: deriveKeys(randomBytes(32)), logDestination: quiet() });
    onTestFinished(async () => {
      await app.close();
      await kdb.destroy();
    });
    const handler = async () => ({});
    expect(() => app.get('/v1/stray', handler)).toThrow(/GET \/v1\/stray is not in the contract's route table/);
    expect(() => app.post('/healthz', handler)).toThrow(/not in the contract's route table/);
    expect(() => app.route({ method: 'POST', url: '/v1/me', config: { routeId: 'me' }, handler })).toThrow(/disagrees with its table entry me \(GET \/v1\/me\)/);
    expect(() => app.route({ method: 'GET', url: '/v1/keys/all', config: { routeId: 'listApiKeys' }, handler })).toThrow(/disagrees/);
    expect(() => app.route({ method: 'GET', url: '/v1/other', config: { routeId: 'nope' as RouteId }, handler })).toThrow(/no such entry/);
  });

  it('registers every entry of the table with its method and URL, and starts', async () => {
    await app.ready();
    for (const id of ROUTE_IDS) {
      const { method, path } = ROUTES[id];
      expect(app.hasRoute({ method, url: path }), `${id}: ${method} ${path}`).toBe(true);
      if (method === 'GET') expect(app.hasRoute({ method: 'HEAD', url: path }), `${id}: HEAD`).toBe(true);
      expect(app.findRoute({ method, url: concrete(id).split('?')[0] as string })?.params, id).toEqual(
        Object.fromEntries(ROUTES[id].params.map((p) => [p, PARAMS[p as keyof typeof PARAMS]])),
      );
    }
  });

  it('asks for the bearer key exactly where the table says so', async () => {
    for (const id of ROUTE_IDS) {
      const { method, auth } = ROUTES[id];
      const r = await app.inject({ method, url: concrete(id), ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }) });
      if (auth === 'bearer') {
        expect(r.statusCode, id).toBe(401);
        expect(r.json().error).toMatchObject({ code: 'unauthorized', message: expect.any(String), requestId: r.headers['x-request-id'] });
      } else {
        expect(r.statusCode, id).not.toBe(401);
      }
    }
  });

  it('keys the schemas by the same ids as the table', () => {
    expect(Object.keys(ROUTE_SCHEMAS)).toEqual(ROUTE_IDS);
  });

  it('refuses a request without a body exactly where the table says the body is required', async () => {
    for (const id of ROUTE_IDS) {
      const { method, body } = ROUTES[id];
      if (method === 'GET') continue;
      const r = await app.inject({ method, url: concrete(id), headers: { authorization: `Bearer ${token}` } });
      const refused = r.statusCode === 400 && r.json().error.message === 'body: a JSON request body is required';
      expect(refused, `${id}: ${r.statusCode} ${r.body}`).toBe(body === 'required');
    }
  });

  it('serves an OpenAPI document listing every entry with its parameters, body, responses and errors', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.components.schemas.ApiError.properties.error.required).toEqual(['code', 'message', 'requestId']);
    const operations = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((ops) => Object.values(ops));
    expect(operations.map((o) => o.operationId).sort()).toEqual([...ROUTE_IDS].sort());
    for (const id of ROUTE_IDS) {
      const entry = ROUTES[id];
      const op = doc.paths[entry.path.replace(/:(\w+)/g, '{$1}')][entry.method.toLowerCase()];
      expect(op.operationId).toBe(id);
      expect(op.summary).toBe(entry.summary);
      expect(op.security, id).toEqual(entry.auth === 'bearer' ? [{ bearer: [] }, { session: [] }] : []);
      const params = (op.parameters ?? []) as { name: string; in: string }[];
      expect(params.filter((p) => p.in === 'path').map((p) => p.name), id).toEqual(entry.params);
      expect(params.filter((p) => p.in === 'query').map((p) => p.name), id).toEqual(entry.query);
      expect(op.requestBody?.required, id).toBe(entry.body === 'none' ? undefined : entry.body === 'required');
      // 408 and 431 are the HTTP layer's answers to any request, before a route is chosen.
      const statuses = [...entry.statuses, ...entry.errors.map((c) => STATUS_OF[c]), 408, 431].map(String).sort();
      expect(Object.keys(op.responses).sort(), id).toEqual([...new Set(statuses)].sort());
      for (const code of entry.errors) {
        expect(op.responses[STATUS_OF[code]].content['application/json'].schema, `${id} ${code}`).toEqual({ $ref: '#/components/schemas/ApiError' });
      }
      for (const status of entry.statuses) {
        const schema = (ROUTE_SCHEMAS[id].responses as Record<number, unknown>)[status];
        const content = op.responses[status].content;
        if (status === 204 || status === 304) expect(content, `${id} ${status}`).toBeUndefined();
        else if (entry.stream) expect(Object.keys(content)).toEqual([entry.stream]);
        else {
          const described = content['application/json'].schema;
          // An object, or (one status, several shapes: redeemInvite with or without a session) a union of them.
          if (schema === null) expect(described, `${id} ${status}`).toEqual({ type: 'object' });
          else if ('anyOf' in described) for (const part of described.anyOf) expect(part, `${id} ${status}`).toEqual(expect.objectContaining({ type: 'object' }));
          else expect(described, `${id} ${status}`).toEqual(expect.objectContaining({ type: expect.any(String) }));
        }
      }
    }
  });
});

describe('the route table guard', () => {
  it('refuses to start while an entry of the table has no route', async () => {
    const app = Fastify();
    guardRouteTable(app);
    app.get('/healthz', { config: { routeId: 'health' } }, async () => ({ status: 'ok' }));
    app.get('/elsewhere', async () => 'not the API');
    await expect(app.ready()).rejects.toThrow(/not registered: openApiDocument, me, listApiKeys/);
  });
});

describe('handlers that send their own reply', () => {
  it('answer once: no "Reply was already sent" warning for ETag/304, own-status writes and rollbacks', async () => {
    const srv = await startTestServer();
    try {
      const env = '/v1/projects/once/environments/development';
      expect((await srv.call('POST', '/v1/projects', { body: { slug: 'once' } })).status).toBe(201);
      expect((await srv.call('PATCH', `${env}/secrets`, { body: { set: { A: '1' } } })).status).toBe(200);
      const read = await srv.call('GET', `${env}/secrets`);
      expect(read.status).toBe(200);
      expect((await srv.call('GET', `${env}/secrets`, { headers: { 'if-none-match': read.headers.get('etag')! } })).status).toBe(304);
      expect((await srv.call('GET', `${env}/keys`)).status).toBe(200);
      expect((await srv.call('POST', `${env}/secrets/A/rollback`, { body: { version: 1 } })).status).toBe(200);
      expect(srv.logs()).not.toMatch(/already sent/);
      expect(srv.logs()).not.toMatch(/"level":[4-9]0/);
    } finally {
      await srv.close();
    }
  });
});
