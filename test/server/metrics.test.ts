import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/contract/constants.js';
import { initInstance, openDatabase, parseMasterKey, ServerStartupError, startServer, type KryptDatabase, type RunningServer } from '../../src/server/entry/index.js';
import { createMetrics, NO_METRICS } from '../../src/server/metrics.js';
import { callApi } from '../helpers/server.js';
import { openStream } from '../helpers/sse.js';
import { until } from '../helpers/until.js';

// /metrics in process: the labels a request gets (its route PATTERN, or "unmatched"), the stream
// gauge, the failed-credential counters per kind, the listener's own routes, and its refusals.
// The real `krypt server start --metrics-port` process, both stores and the leak scan: test/e2e/metrics.test.ts.

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

/** One sample of the exposition text: `name{labels} value`, labels in the order given. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(m[3]);
  }
  return undefined;
}

describe('metrics of an in-process server (SQLite)', () => {
  let kdb: KryptDatabase;
  let server: RunningServer;
  let token: string;
  const scrape = async () => (await fetch(server.metricsUrl!)).text();
  const call = (method: string, path: string, opts: Parameters<typeof callApi>[4] = {}) => callApi(server.url, token, method, path, opts);

  beforeAll(async () => {
    kdb = await openDatabase({ memory: true });
    const init = await initInstance({ database: kdb });
    token = init.token;
    server = await startServer({
      database: kdb,
      masterKey: parseMasterKey(init.masterKey),
      port: 0,
      logDestination: quiet,
      failureLimit: { maxFailures: 2 },
      metrics: { port: 0 },
    });
  });
  afterAll(async () => {
    await server.close();
    await kdb.destroy();
  });

  it('serves the text format on its own port: GET /metrics only; the API port has no /metrics', async () => {
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(server.metricsUrl!).port).not.toBe(new URL(server.url).port);
    const res = await fetch(server.metricsUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(createMetrics().registry.contentType);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text).toContain('# TYPE krypt_http_requests_total counter');
    expect(text).toContain('# TYPE krypt_http_request_duration_seconds histogram');
    expect(text).toMatch(/^krypt_process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^krypt_nodejs_heap_size_used_bytes /m);
    for (const name of ['krypt_event_streams_open', 'krypt_decrypt_cache_hits_total', 'krypt_decrypt_cache_misses_total', 'krypt_audit_batch_size_count', 'krypt_audit_wait_seconds_count']) {
      expect(sample(text, name), name).toBe(0);
    }

    const base = server.metricsUrl!.replace(/\/metrics$/, '');
    for (const [method, path] of [['GET', '/'], ['GET', '/metrics/x'], ['POST', '/metrics'], ['GET', '/v1/projects']] as const) {
      expect((await fetch(base + path, { method })).status, `${method} ${path}`).toBe(404);
    }
    expect((await fetch(`${server.metricsUrl}?x=1`)).status).toBe(200);
    const onApi = await call('GET', '/metrics', { token: null });
    expect(onApi.status).toBe(404);
    expect(onApi.json.error.code).toBe('not_found');
  });

  it('labels requests with the route pattern, never the URL; unmatched and malformed URLs count as "unmatched"', async () => {
    expect((await call('POST', '/v1/projects', { body: { slug: 'metrics-slug-x1' } })).status).toBe(201);
    expect((await call('PATCH', '/v1/projects/metrics-slug-x1/environments/development/secrets', { body: { set: { METRIC_KEY_NAME_Q: 'v' } } })).status).toBe(200);
    expect((await call('GET', '/v1/projects/metrics-slug-x1/environments/development/secrets')).status).toBe(200);
    expect((await call('GET', '/v1/projects/metrics-slug-x1/environments/development/secrets/NO_SUCH_KEY_Z')).status).toBe(404);
    expect((await call('GET', '/v1/no-such-route-r7')).status).toBe(404);
    expect((await fetch(`${server.url}/v1/projects/%zz`)).status).toBe(400);

    const text = await scrape();
    const secrets = '/v1/projects/:slug/environments/:env/secrets';
    expect(sample(text, 'krypt_http_requests_total', { route: secrets, method: 'PATCH', status: '200' })).toBe(1);
    expect(sample(text, 'krypt_http_requests_total', { route: secrets, method: 'GET', status: '200' })).toBe(1);
    expect(sample(text, 'krypt_http_requests_total', { route: `${secrets}/:key`, method: 'GET', status: '404' })).toBe(1);
    expect(sample(text, 'krypt_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'krypt_http_requests_total', { route: 'unmatched', method: 'GET', status: '400' })).toBe(1);
    expect(sample(text, 'krypt_http_request_duration_seconds_count', { route: secrets, method: 'GET' })).toBe(1);
    expect(sample(text, 'krypt_http_request_duration_seconds_bucket', { le: '+Inf', route: secrets, method: 'GET' })).toBe(1);
    for (const raw of ['metrics-slug-x1', 'METRIC_KEY_NAME_Q', 'NO_SUCH_KEY_Z', 'no-such-route-r7', '%zz']) expect(text).not.toContain(raw);
  });

  it('counts failed credentials by kind, and those refused as rate limited', async () => {
    const before = await scrape();
    expect(sample(before, 'krypt_auth_failures_total', { kind: 'api_key' })).toBe(0);
    expect(sample(before, 'krypt_auth_rate_limited_total', { kind: 'api_key' })).toBe(0);
    // The budget is 2 failures per address: the third wrong key is a 429.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/v1/projects', { token: 'krypt_wrongkeywrongkeywrongkeywrongkeywrongkey' })).status);
    expect(statuses).toEqual([401, 401, 429]);
    expect((await call('POST', '/v1/sessions', { token: null, body: { code: 'not-a-sign-in-code' } })).status).toBe(429);
    expect((await call('POST', '/v1/invites/redeem', { token: null, body: { code: 'not-an-invite-code' } })).status).toBe(429);
    expect((await call('GET', '/v1/projects', { token: null, headers: { cookie: `${SESSION_COOKIE}=not-a-session` } })).status).toBe(429);

    const text = await scrape();
    expect(sample(text, 'krypt_auth_failures_total', { kind: 'api_key' })).toBe(3);
    expect(sample(text, 'krypt_auth_rate_limited_total', { kind: 'api_key' })).toBe(1);
    for (const kind of ['session', 'sign_in', 'invite']) {
      expect(sample(text, 'krypt_auth_failures_total', { kind }), kind).toBe(1);
      expect(sample(text, 'krypt_auth_rate_limited_total', { kind }), kind).toBe(1);
    }
    expect(sample(text, 'krypt_http_requests_total', { route: '/v1/projects', method: 'GET', status: '429' })).toBeGreaterThanOrEqual(1);
    for (const raw of ['wrongkey', 'not-a-sign-in-code', 'not-an-invite-code', 'not-a-session']) expect(text).not.toContain(raw);
  });

  it('counts open change streams; a stream is counted as a request when it ends, outside the latency histogram', async () => {
    const path = '/v1/projects/metrics-slug-x1/environments/development/events';
    const route = '/v1/projects/:slug/environments/:env/events';
    const a = await openStream(server.url, path, token);
    const b = await openStream(server.url, path, token);
    expect([a.status, b.status]).toEqual([200, 200]);
    await until(async () => sample(await scrape(), 'krypt_event_streams_open') === 2, { what: 'two open streams' });
    a.close();
    await until(async () => sample(await scrape(), 'krypt_event_streams_open') === 1, { what: 'one open stream' });
    b.close();
    await until(async () => sample(await scrape(), 'krypt_event_streams_open') === 0, { what: 'no open stream' });
    const text = await scrape();
    expect(sample(text, 'krypt_http_requests_total', { route, method: 'GET', status: '200' })).toBe(2);
    expect(sample(text, 'krypt_http_request_duration_seconds_count', { route, method: 'GET' })).toBeUndefined();
  });
});

describe('metrics listener start-up', () => {
  let kdb: KryptDatabase;
  let masterKey: string;
  let busy: Server;
  beforeAll(async () => {
    kdb = await openDatabase({ memory: true });
    masterKey = (await initInstance({ database: kdb })).masterKey;
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    busy.close();
    await kdb.destroy();
  });

  it('is off unless asked for; callers then hold a sink that does nothing', async () => {
    const server = await startServer({ database: kdb, masterKey: parseMasterKey(masterKey), port: 0, logDestination: quiet });
    expect(server.metricsUrl).toBeUndefined();
    await server.close();
    NO_METRICS.httpRequest('/v1/projects', 'GET', 200, 0.001);
    NO_METRICS.auditBatch(3, 0.002);
    NO_METRICS.authFailure('api_key', true);
  });

  it('refuses a non-loopback metrics host unless allowed, before opening anything', async () => {
    const err = await startServer({ database: kdb, masterKey: parseMasterKey(masterKey), port: 0, logDestination: quiet, metrics: { port: 0, host: '0.0.0.0' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerStartupError);
    expect((err as ServerStartupError).code).toBe('insecure_metrics_host');
    expect((err as ServerStartupError).message).toContain('refusing to serve metrics on 0.0.0.0');
    expect((err as ServerStartupError).hint).toContain('--metrics-public');
  });

  it('fails to start, and leaves nothing listening, when the metrics port is taken', async () => {
    const port = (busy.address() as AddressInfo).port;
    const err = await startServer({ database: kdb, masterKey: parseMasterKey(masterKey), port: 0, logDestination: quiet, metrics: { port } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerStartupError);
    expect((err as ServerStartupError).code).toBe('metrics_listen');
    expect((err as ServerStartupError).message).toBe(`cannot listen for metrics on 127.0.0.1:${port} (EADDRINUSE)`);
    // The same database still starts a server: nothing of the failed one holds on.
    const server = await startServer({ database: kdb, masterKey: parseMasterKey(masterKey), port: 0, logDestination: quiet, metrics: { port: 0 } });
    const url = server.metricsUrl!;
    expect((await fetch(url)).status).toBe(200);
    await server.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});
