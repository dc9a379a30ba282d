import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED, scrubEvent } from '../../src/server/plugins/error-reporting.js';
import { makeSandbox } from '../helpers/cli.js';
import { kryptInProcess } from '../helpers/in-process.js';
import { callApi, startTestServer, type TestServer } from '../helpers/server.js';
import { killServerProcesses, startServerProcess } from '../helpers/server-process.js';
import { until } from '../helpers/until.js';

// --sentry-dsn: unexpected errors (5xx) reach Sentry with the request id, route template and
// release, and nothing of what the request carried. Sentry is a local HTTP sink on 127.0.0.1:0
// that keeps every envelope as received; the 500s are real (a SQLite trigger refuses the write
// with a message holding the request's secret value, an email, the caller's token, the master
// key...), so the scrubber is what stands between them and the sink.

const SECRETS_ROUTE = '/v1/projects/:slug/environments/:env/secrets';
const TRACER = resolve(import.meta.dirname, '../fixtures/trace-startup.mjs');
const VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;

interface Envelope {
  path: string;
  raw: Buffer;
  header: Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Sentry event JSON
  events: any[];
}

interface Sink {
  dsn: string;
  envelopes: Envelope[];
  close(): Promise<void>;
}

/** A Sentry stand-in: POST /api/<project>/envelope/, newline-delimited envelopes (gunzipped if sent gzipped). */
async function startSink(): Promise<Sink> {
  const envelopes: Envelope[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const raw = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
      const [header, ...items] = raw.toString('utf8').split('\n').filter(Boolean);
      const events = [];
      for (let i = 0; i + 1 < items.length; i += 2) if (JSON.parse(items[i]!).type === 'event') events.push(JSON.parse(items[i + 1]!));
      envelopes.push({ path: req.url ?? '', raw, header: JSON.parse(header ?? '{}'), events });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await listen(server);
  return {
    dsn: `http://publickey@127.0.0.1:${port}/1`,
    envelopes,
    close: () => new Promise((done) => (server.closeAllConnections(), server.close(() => done()))),
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done((server.address() as net.AddressInfo).port)));
}

/** Makes every write of a secret fail with `message` (SQLITE_CONSTRAINT_TRIGGER: a 500). */
async function failSecretWrites(db: TestServer['db'], message: string): Promise<void> {
  await sql.raw(`CREATE TRIGGER fail_writes BEFORE INSERT ON secrets BEGIN SELECT RAISE(ABORT, '${message}'); END`).execute(db);
}

/** What a request may carry that must never reach Sentry, all different each run. */
function requestValues(srv: TestServer) {
  const rnd = () => randomBytes(6).toString('hex');
  return {
    value: `s3cret-${rnd()}`,
    otherValue: `other-${rnd()}`,
    email: `ana.${rnd()}@example.com`,
    token: srv.token,
    masterKey: srv.masterKey,
    csrf: `csrf-${rnd()}`,
    session: `ksess_${randomBytes(32).toString('base64url')}`,
    query: `q-${rnd()}`,
  };
}

const servers: TestServer[] = [];
const sinks: Sink[] = [];
afterEach(async () => {
  killServerProcesses();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function serverReportingTo(dsn: string): Promise<TestServer> {
  const srv = await startTestServer({ errorReporting: { dsn, release: 'krypt@9.9.9+abc1234', environment: 'test' } });
  servers.push(srv);
  expect((await srv.call('POST', '/v1/projects', { body: { slug: 'app' } })).status).toBe(201);
  return srv;
}

async function sink(): Promise<Sink> {
  const s = await startSink();
  sinks.push(s);
  return s;
}

const secretsPath = '/v1/projects/app/environments/development/secrets';

describe('error reporting to Sentry (--sentry-dsn)', () => {
  it('reports a 500 once with its request id, route template and release, and nothing the request carried', async () => {
    const sentry = await sink();
    const srv = await serverReportingTo(sentry.dsn);
    const v = requestValues(srv);
    await failSecretWrites(srv.db, `disk on fire storing ${v.value} for ${v.email} (${v.token}, ${v.masterKey}, ${v.csrf}, ${v.session}, ${v.query})`);

    const res = await srv.call('PATCH', `${secretsPath}?trace=${v.query}`, {
      body: { set: { DB_PASSWORD: v.value, OTHER: v.otherValue } },
      headers: { cookie: `krypt_session=${v.session}`, 'x-csrf-token': v.csrf, 'x-on-behalf-of': v.email },
    });
    expect(res.status).toBe(500);
    const requestId = res.headers.get('x-request-id');
    expect(res.json.error).toEqual({ code: 'internal', message: 'internal server error', requestId });

    await until(() => sentry.envelopes.length > 0, { what: 'the report' });
    await srv.close();
    expect(sentry.envelopes).toHaveLength(1);
    const [envelope] = sentry.envelopes;
    const endpoint = new URL(envelope!.path, 'http://sink');
    expect([endpoint.pathname, endpoint.searchParams.get('sentry_key')]).toEqual(['/api/1/envelope/', 'publickey']);
    expect(envelope!.events).toHaveLength(1);
    // The bytes as received: none of what the request carried, nor the master key, nor the concrete URL.
    const raw = envelope!.raw.toString('utf8');
    for (const [what, value] of Object.entries(v)) expect(raw.includes(value), `${what} in the envelope`).toBe(false);
    expect(raw).not.toContain('DB_PASSWORD');
    expect(raw).not.toContain('/projects/app/');
    expect(raw).not.toContain('trace=');
    const event = envelope!.events[0];
    expect(event.tags).toEqual({ requestId, route: SECRETS_ROUTE, method: 'PATCH', status: '500', code: 'SQLITE_CONSTRAINT_TRIGGER' });
    expect(event.release).toBe('krypt@9.9.9+abc1234');
    expect(event.environment).toBe('test');
    expect(event.transaction).toBe(`PATCH ${SECRETS_ROUTE}`);
    expect(event.level).toBe('error');
    const exception = event.exception.values.at(-1);
    expect(exception.type).toBe('SqliteError');
    // The message is kept, with what it must not say cut out.
    expect(exception.value).toMatch(/^disk on fire storing \[redacted\] for \[redacted\] \(\[redacted\], \[redacted\], \[redacted\], \[redacted\], \[redacted\]\)$/);
    expect(exception.mechanism).toEqual({ type: 'krypt.error_handler', handled: false });
    const frames = exception.stacktrace.frames as Record<string, unknown>[];
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.some((f) => String(f.filename).includes('/src/server/'))).toBe(true);
    for (const f of frames) for (const k of ['vars', 'pre_context', 'context_line', 'post_context']) expect(f).not.toHaveProperty(k);
    for (const k of ['request', 'user', 'breadcrumbs', 'server_name']) expect(event).not.toHaveProperty(k);

    // The DSN (it holds the project key) is never logged.
    expect(srv.logs()).not.toContain('publickey');
  });

  it('does not report 4xx responses', async () => {
    const sentry = await sink();
    const srv = await serverReportingTo(sentry.dsn);
    const statuses = [
      (await srv.call('GET', '/v1/projects/nope/environments/development/secrets')).status,
      (await srv.call('PATCH', secretsPath, { body: { set: { 'bad key': 'x' } } })).status,
      (await srv.call('GET', '/v1/projects', { token: 'krypt_wrong' })).status,
      (await srv.call('GET', '/v1/no-such-route')).status,
    ];
    expect(statuses).toEqual([404, 400, 401, 404]);
    await srv.close();
    expect(sentry.envelopes).toEqual([]);
  });

  it('answers the 500 at once when Sentry does not answer, and logs at warn when it refuses connections', async () => {
    // A black hole: accepts connections and never answers.
    const sockets: net.Socket[] = [];
    const hole = net.createServer((s) => sockets.push(s));
    const holePort = await listen(hole);
    // A closed port: connections are refused.
    const gone = net.createServer();
    const gonePort = await listen(gone);
    await new Promise((done) => gone.close(done));
    try {
      for (const [port, why] of [[holePort, 'not answering'], [gonePort, 'refusing']] as const) {
        const srv = await serverReportingTo(`http://publickey@127.0.0.1:${port}/1`);
        await failSecretWrites(srv.db, 'disk on fire');
        const started = performance.now();
        const res = await srv.call('PATCH', secretsPath, { body: { set: { A: 'a' } } });
        const took = performance.now() - started;
        expect(res.status, why).toBe(500);
        // Reporting waits for nothing: a report held up for its 5 s would show here.
        expect(took, why).toBeLessThan(2500);
        expect(res.json.error.code).toBe('internal');
        // The server still serves.
        expect((await srv.call('GET', '/v1/projects')).status).toBe(200);
        if (why === 'refusing') {
          await until(() => srv.logs().includes('error report not sent'), { what: 'the warning' });
          const line = srv.logs().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'error report not sent');
          expect(line.level).toBe(40);
          expect(line.reqId).toBe(res.headers.get('x-request-id'));
        }
        // Stopping waits for the report in flight a short while only (2 s), then drops it.
        const stopping = performance.now();
        await srv.close();
        expect(performance.now() - stopping, why).toBeLessThan(4500);
        expect(srv.logs()).not.toContain('publickey');
      }
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((done) => hole.close(done));
    }
  });
});

describe('krypt server start --sentry-dsn / KRYPT_SENTRY_DSN', () => {
  async function instance() {
    const box = makeSandbox();
    const dataDir = join(box.home, 'data');
    const keyFile = join(box.home, 'master.key');
    const init = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile], { cwd: box.cwd, env: box.env });
    expect(init.code).toBe(0);
    const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
    return { box, dataDir, keyFile, token };
  }

  it('refuses a DSN that is not one, before reading the master key, without repeating it', async () => {
    const { box, dataDir, keyFile } = await instance();
    const cases: [string[], Record<string, string>][] = [
      [['--sentry-dsn', 'not-a-dsn-3f9a'], {}],
      [['--sentry-dsn', 'https://o7.sentry-host-3f9a.test/42'], { KRYPT_SENTRY_DSN: 'http://publickey@127.0.0.1:1/1' }],
      [['--master-key-file', keyFile], { KRYPT_SENTRY_DSN: 'ftp://not-a-dsn-3f9a@host/1' }],
    ];
    for (const [args, env] of cases) {
      // No master key anywhere but in the file of the last case: a DSN checked late would fail on the key instead.
      const res = await kryptInProcess(['server', 'start', '--data-dir', dataDir, '--port', '0', ...args], { cwd: box.cwd, env: { ...box.env, ...env } });
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr).toMatch(/^Error: the Sentry DSN is not valid/m);
      expect(res.stderr).toMatch(/Client Keys/);
      expect(res.stderr).not.toMatch(/3f9a/);
    }
    const dev = await kryptInProcess(['server', 'start', '--dev', '--sentry-dsn', 'http://publickey@127.0.0.1:1/1'], { cwd: box.cwd, env: box.env });
    expect(dev.code).toBe(1);
    expect(dev.stderr).toMatch(/--sentry-dsn/);
  });

  it('loads @sentry/core only with a DSN; KRYPT_SENTRY_DSN reports a real 500 with the release krypt@VERSION', async () => {
    const sentry = await sink();
    const { box, dataDir, keyFile, token } = await instance();
    const traced = (trace: string, extra: Record<string, string> = {}) =>
      startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0'], { ...box.env, NODE_OPTIONS: `--import=${TRACER}`, KRYPT_TRACE_FILE: trace, ...extra });
    const loaded = (trace: string) => readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes('@sentry/'));

    const plainTrace = join(box.home, 'plain.txt');
    const plain = await traced(plainTrace);
    expect((await callApi(plain.url, token, 'POST', '/v1/projects', { body: { slug: 'app' } })).status).toBe(201);
    const sqlite = new Database(join(dataDir, 'krypt.db'));
    try {
      sqlite.exec(`CREATE TRIGGER fail_writes BEFORE INSERT ON secrets BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    } finally {
      sqlite.close();
    }
    expect((await callApi(plain.url, token, 'PATCH', secretsPath, { body: { set: { A: 'a' } } })).status).toBe(500);
    expect(await plain.stop()).toBe(0);
    expect(loaded(plainTrace)).toEqual([]);

    const reportingTrace = join(box.home, 'reporting.txt');
    const reporting = await traced(reportingTrace, { KRYPT_SENTRY_DSN: sentry.dsn });
    const res = await callApi(reporting.url, token, 'PATCH', secretsPath, { body: { set: { A: 'a' } } });
    expect(res.status).toBe(500);
    await until(() => sentry.envelopes.length > 0, { what: 'the report' });
    expect(await reporting.stop()).toBe(0);
    const event = sentry.envelopes[0]!.events[0];
    expect(event.tags.requestId).toBe(res.headers.get('x-request-id'));
    expect(event.tags.route).toBe(SECRETS_ROUTE);
    expect(event.release).toMatch(new RegExp(`^krypt@${VERSION.replaceAll('.', '\\.')}(\\+[0-9a-f]{7})?$`));
    expect(loaded(reportingTrace).some((l) => l.includes('/node_modules/@sentry/core/'))).toBe(true);
    expect(reporting.stderr()).not.toContain('publickey');
  });
});

describe('scrubEvent', () => {
  it('drops request data, user, frame source and locals; redacts emails, tokens, hex keys and carried strings everywhere', () => {
    const carried = ['hunter2-value', 'ab', 'json-body'];
    const event = {
      message: 'failed for bob@example.com with krypt_abcDEF123-_ and whsec_c2VjcmV0+/== and kinv_x ksess_y ksign_z: hunter2-value',
      request: { url: 'https://h/x?q=1', headers: { authorization: 'Bearer krypt_t' }, cookies: { krypt_session: 'ksess_s' }, data: '{"v":"hunter2-value"}', query_string: 'q=1' },
      user: { email: 'bob@example.com', ip_address: '10.0.0.1' },
      breadcrumbs: [{ message: 'GET as carol@example.org', data: { url: '/x?token=1' } }],
      extra: { 'dave@example.com': 'key ' + 'a1'.repeat(32) },
      contexts: { app: { note: 'hunter2-value' } },
      exception: {
        values: [{ type: 'Error', value: 'hunter2-value', stacktrace: { frames: [{ filename: '/app/node_modules/@scope/pkg/json-body.js', function: 'ab', vars: { v: 'hunter2-value' }, pre_context: ['x'], context_line: 'y', post_context: ['z'] }] } }],
      },
    };
    const scrubbed = scrubEvent(event, carried);
    expect(scrubbed).toEqual({
      message: `failed for ${REDACTED} with ${REDACTED} and ${REDACTED} and ${REDACTED} ${REDACTED} ${REDACTED}: ${REDACTED}`,
      breadcrumbs: [{ message: `GET as ${REDACTED}` }],
      extra: { [REDACTED]: `key ${REDACTED}` },
      contexts: { app: { note: REDACTED } },
      // Code locations keep carried strings (they come from code), short ones are left alone
      // everywhere, and a path with @scope is no address.
      exception: { values: [{ type: 'Error', value: REDACTED, stacktrace: { frames: [{ filename: '/app/node_modules/@scope/pkg/json-body.js', function: 'ab' }] } }] },
    });
    expect(event.request.headers.authorization).toBe('Bearer krypt_t');
  });
});
