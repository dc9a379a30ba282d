import { request as httpRequest, Agent } from 'node:http';
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { createApiKeyRequestSchema, createProjectRequestSchema } from '../../src/contract/index.js';
import { createSignInLinkRequestSchema } from '../../src/contract/sessions.js';
import { redeemInviteRequestSchema } from '../../src/contract/teams.js';
import type { DB } from '../../src/server/store/schema.js';
import type { TestServer } from './server.js';

// Generators and invariants for fuzzing every route of the API (test/server/fuzz.test.ts runs a few
// hundred cases, bench/fuzz.mjs 20,000). The requests never change state: writes go out with a
// viewer's key (refused before they touch anything), reads may also use the owner's key, and the
// three writes no project role guards (create project, create key, redeem) get only bodies their
// schema rejects. snapshot() proves it.

export interface Route {
  method: string;
  /** OpenAPI template, e.g. /v1/projects/{slug}/environments/{env}. */
  template: string;
  params: string[];
  /** The statuses the document lists for the operation (successes and errors). */
  statuses: number[];
}

export interface FuzzTarget {
  routes: Route[];
  /** A valid value for every path parameter name of the document. */
  valid: Record<string, string>;
  ownerToken: string;
  viewerToken: string;
  bodyLimit: number;
}

export interface FuzzCase {
  route: Route;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** What the body is, for the report. */
  kind: string;
}

export interface FuzzResult {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Lists the routes of the server's OpenAPI document (which lists /healthz and itself too). */
export async function listRoutes(url: string): Promise<Route[]> {
  const doc = (await (await fetch(`${url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };
  const routes: Route[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    const params = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      routes.push({ method: method.toUpperCase(), template, params, statuses: Object.keys(op.responses ?? {}).map(Number) });
    }
  }
  return routes;
}

/**
 * Builds a project with secrets, a pending change request, an owner, a member and a viewer, and
 * returns what the generators need. Uses the API, so the fixture is what a real client creates.
 */
export async function prepareFuzzTarget(srv: TestServer, bodyLimit: number): Promise<FuzzTarget> {
  const ok = async (method: string, path: string, body?: unknown, token?: string) => {
    const r = await srv.call(method, path, { body, ...(token ? { token } : {}) });
    if (r.status >= 300) throw new Error(`fixture ${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };
  await ok('POST', '/v1/projects', { slug: 'fuzz' });
  for (const env of ['development', 'production']) {
    await ok('PATCH', `/v1/projects/fuzz/environments/${env}/secrets`, { set: { KEY_A: 'alpha', KEY_B: 'beta' } });
  }
  const join = async (email: string, role: string): Promise<string> => {
    const { code } = await ok('POST', '/v1/projects/fuzz/invites', { email, role });
    const r = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code } });
    if (r.status !== 201) throw new Error(`fixture redeem: ${r.status} ${r.text}`);
    return r.json.token as string;
  };
  const memberToken = await join('member@fuzz.test', 'member');
  const viewerToken = await join('viewer@fuzz.test', 'viewer');
  const pending = await ok('PATCH', '/v1/projects/fuzz/environments/production/secrets', { set: { KEY_C: 'gamma' } }, memberToken);
  await ok('POST', '/v1/projects/fuzz/invites', { email: 'pending@fuzz.test', role: 'member' });
  const keys = await ok('GET', '/v1/keys');
  return {
    routes: await listRoutes(srv.url),
    valid: {
      slug: 'fuzz',
      env: 'development',
      key: 'KEY_A',
      email: 'member@fuzz.test',
      id: String(pending.changeRequest?.id ?? keys.keys[0].id),
    },
    ownerToken: srv.token,
    viewerToken,
    bodyLimit,
  };
}

// --- generators ------------------------------------------------------------------------------------

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 });
const latin1 = fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 50 });

function nested(depth: number, open: string, close: string, inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/** A path parameter: valid, arbitrary text (encoded), malformed percent escapes, or very long. */
function paramArb(name: string, target: FuzzTarget): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(target.valid[name] ?? 'x') },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map((s) => encodeURIComponent(s)) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%ff%fe', '%c0%af', '..', '%2e%2e', '%00', 'a%2Fb', '%E2%82') },
    { weight: 1, arbitrary: fc.integer({ min: 101, max: 12_000 }).map((n) => 'a'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom('-1', '0', '1e309', 'NaN', '99999999999999999999', 'ADMIN@KRYPT.LOCAL', 'x@y') },
  );
}

/** Bodies close to what a route accepts, with one field arbitrary (the edge validation cases). */
const nearlyValid = fc.oneof(
  fc.record({ slug: fc.oneof(printable, fc.constant('a'.repeat(10_000))) }),
  fc.record({ code: fc.oneof(printable, fc.constant('krypt_inv_' + 'a'.repeat(10_000))) }),
  fc.record({ email: fc.oneof(printable, fc.constant(`${'a'.repeat(10_000)}@x.io`)), role: fc.constantFrom('admin', 'owner', 'x') }),
  fc.record({ set: fc.dictionary(fc.oneof(printable, fc.constant('K'.repeat(300))), fc.oneof(fc.string(), fc.jsonValue())) }),
  fc.record({ delete: fc.array(fc.oneof(printable, fc.integer())) }),
  fc.record({ name: fc.oneof(printable, fc.constant('n'.repeat(5000))), expiresInSeconds: fc.oneof(fc.integer(), fc.double()) }),
  fc.record({ version: fc.oneof(fc.integer(), fc.double(), fc.string()) }),
  fc.record({ reason: fc.oneof(printable, fc.constant(' ')) }),
  fc.record({ force: fc.jsonValue() }),
  fc.constant({ ['__proto__']: { admin: true } }),
);

type Body = { kind: string; body: Buffer | undefined; contentType: string | undefined };

function bodyArb(bodyLimit: number): fc.Arbitrary<Body> {
  const json = (kind: string) => (v: unknown) => ({ kind, body: Buffer.from(JSON.stringify(v) ?? 'null'), contentType: 'application/json' });
  const raw = (kind: string, contentType = 'application/json') => (s: string | Buffer) => ({
    kind,
    body: Buffer.isBuffer(s) ? s : Buffer.from(s),
    contentType,
  });
  return fc.oneof(
    fc.constant<Body>({ kind: 'none', body: undefined, contentType: undefined }),
    fc.jsonValue().map(json('json')),
    fc.anything({ withObjectString: true, withNullPrototype: true }).map((v) => {
      try {
        return json('anything')(v);
      } catch {
        return json('anything')(String(v));
      }
    }),
    nearlyValid.map(json('nearly-valid')),
    fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean()).map(json('scalar')),
    fc.string({ unit: 'binary', maxLength: 300 }).map(raw('text')),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => raw('bytes')(Buffer.from(a))),
    fc.constantFrom(
      Buffer.from([0x7b, 0x22, 0x73, 0x6c, 0x75, 0x67, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]), // {"slug":"<bad utf-8>"}
      Buffer.from('{"code":"\ud800"}'),
      Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), // BOM + {}
    ).map(raw('bad-utf8')),
    fc.constantFrom(10_000, 100_000).chain((depth) =>
      fc.constantFrom(
        nested(depth, '[', ']'),
        nested(depth, '{"a":', '}'),
        `{"set":${nested(depth, '{"A":', '}', '"x"')}}`,
        nested(depth, '{"a":', '}', '{"__proto__":{"x":1}}'),
        nested(depth, '[', ']', '').slice(0, depth), // unterminated
      ).map(raw(`nested-${depth}`)),
    ),
    fc.integer({ min: bodyLimit + 1, max: bodyLimit * 2 }).map((n) => raw('huge')(`{"slug":"${'a'.repeat(n)}"}`)),
    fc.tuple(fc.jsonValue(), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/jsonx', 'APPLICATION/JSON', ';', 'x'.repeat(2000)))
      .map(([v, ct]) => raw('content-type', ct)(JSON.stringify(v) ?? '1')),
    fc.constant({ kind: 'proto', body: Buffer.from('{"constructor":{"prototype":{"x":1}},"slug":"ok"}'), contentType: 'application/json' }),
  );
}

function authArb(target: FuzzTarget, method: string): fc.Arbitrary<{ kind: string; headers: Record<string, string> }> {
  const h = (kind: string) => (value: string) => ({ kind, headers: { authorization: value } });
  const valid = fc.constant(target.viewerToken).map((t) => h('viewer')(`Bearer ${t}`));
  // The owner reads only: the owner's writes would change things.
  const owner = WRITE.has(method) ? valid : fc.constant(target.ownerToken).map((t) => h('owner')(`Bearer ${t}`));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: 'none', headers: {} as Record<string, string> }) },
    { weight: 4, arbitrary: valid },
    { weight: 4, arbitrary: owner },
    { weight: 1, arbitrary: printable.map(h('garbage')) },
    { weight: 1, arbitrary: latin1.map(h('latin1')) },
    { weight: 1, arbitrary: printable.map((s) => h('bad-key')(`Bearer krypt_${s.replace(/\s/g, '')}`)) },
    { weight: 1, arbitrary: fc.constant(h('huge')(`Bearer krypt_${'x'.repeat(17_000)}`)) },
    { weight: 1, arbitrary: fc.constant(target.viewerToken).map((t) => h('lowercase')(`bearer    ${t}   `)) },
  );
}

const extraHeadersArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.constant({ 'x-pad': 'p'.repeat(16 * 1024) }) },
  { weight: 1, arbitrary: fc.record({ 'user-agent': fc.oneof(printable, fc.constant('u'.repeat(8000))), 'x-krypt-command': latin1 }) },
  { weight: 1, arbitrary: fc.record({ 'x-forwarded-for': printable, 'x-forwarded-proto': printable, 'x-request-id': printable }) },
  { weight: 1, arbitrary: fc.record({ 'if-none-match': printable, accept: printable, 'accept-encoding': printable }) },
);

const queryArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc
      .dictionary(fc.constantFrom('reveal', 'status', 'limit', 'since', 'actor', 'environment', 'x', '__proto__'), fc.string({ maxLength: 40 }))
      .map((q) => '?' + new URLSearchParams(q).toString()),
  },
  { weight: 1, arbitrary: fc.constantFrom('?limit=1e400', '?limit=-1', '?reveal=maybe', '?since=%ff', '?a[b]=1&a[c]=2', '?' + 'q'.repeat(9000)) },
);

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'TRACE'];

/** One request: a route of the document, its params, body, headers, auth and (sometimes) another method. */
export function caseArb(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...target.routes).chain((route) =>
    fc
      .record({
        method: fc.oneof({ weight: 5, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
        params: fc.tuple(...route.params.map((p) => paramArb(p, target))),
        query: queryArb,
        body: bodyArb(target.bodyLimit),
        extra: extraHeadersArb,
      })
      .chain((r) =>
        authArb(target, r.method).map((auth) => {
          let i = 0;
          const path = route.template.replace(/\{\w+\}/g, () => r.params[i++] as string) + r.query;
          const headers: Record<string, string> = { ...r.extra, ...auth.headers };
          if (r.body.contentType !== undefined) headers['content-type'] = r.body.contentType;
          const body = r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body.body;
          const kind = `${r.body.kind}/${auth.kind}`;
          // fast-check prints counterexamples with this: keep them readable (bodies can be 100 KB).
          const summary = `${r.method} ${path.slice(0, 160)} [${kind}] headers=${Object.keys(headers).join(',')} body=${body?.length ?? 0}B`;
          return { route, method: r.method, path, headers, body: mustBeRefused(route, r.method, body), kind, [fc.toStringMethod]: () => summary };
        }),
      ),
  );
}

const UNGUARDED: Record<string, { safeParse(v: unknown): { success: boolean } }> = {
  'POST /v1/projects': createProjectRequestSchema,
  'POST /v1/keys': createApiKeyRequestSchema,
  'POST /v1/invites/redeem': redeemInviteRequestSchema,
  'POST /v1/sign-in-links': createSignInLinkRequestSchema,
};
/** Of those, the routes whose body is optional: no body at all is a valid request too. */
const OPTIONAL_BODY = new Set(['POST /v1/sign-in-links']);

/** A body that the route's schema would accept is replaced: these routes have no role to refuse it. */
function mustBeRefused(route: Route, method: string, body: Buffer | undefined): Buffer | undefined {
  const schema = UNGUARDED[`${method} ${route.template}`];
  const optional = OPTIONAL_BODY.has(`${method} ${route.template}`);
  // No body, an empty one or JSON null all mean "no body" to the server: valid where the body is optional.
  if (schema && optional && (body === undefined || body.toString('utf8').trim() === '')) return Buffer.from('{"refused":true}');
  if (!schema || body === undefined) return body;
  let parsed: unknown;
  try {
    // The server ignores a leading byte-order mark (RFC 8259 allows it), so the judge here does too.
    parsed = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return body;
  }
  if (optional && parsed === null) return Buffer.from('{"refused":true}');
  return schema.safeParse(parsed).success ? Buffer.from('{"refused":true}') : body;
}

// --- sending and checking --------------------------------------------------------------------------

/** Sends one case with node:http (which, unlike fetch, allows any method and header bytes). */
export function send(baseUrl: string, c: FuzzCase, agent?: Agent): Promise<FuzzResult> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: c.method,
        path: c.path,
        headers: { ...c.headers, ...(c.body !== undefined ? { 'content-length': String(c.body.length) } : {}) },
        agent: agent ?? false,
        timeout: 10_000,
      },
      (res) => {
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          // A change stream never ends: its first status and headers are all we check.
          res.destroy();
          resolve({ status: res.statusCode ?? 0, text: '', headers: res.headers });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server may answer (413, 431) and close before the whole request is written.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') resolve({ status: -1, text: '', headers: {} });
      // An error the HTTP parser answers before it knows the method (431) has a body, even for HEAD.
      else if (c.method === 'HEAD' && err.code === 'HPE_CLOSED_CONNECTION') resolve({ status: -1, text: '', headers: {} });
      else reject(err);
    });
    req.end(c.body);
  });
}

const LEAKS: [string, RegExp][] = [
  ['stack trace', /\n\s+at |\bat [\w.<>]+ \(/],
  ['SQL', /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b|sqlite|SQLITE_|\brelation "/],
  ['file path', /\/work\/|node_modules|\.ts:\d|\.js:\d|file:\/\//],
];

// Answers of the HTTP parser, before any route is chosen (http-limits.ts): the document declares
// them on every operation, but a route's own list (c.route.statuses) does not hold them.
const BEFORE_ROUTING = new Set([408, 431]);
const MALFORMED = 'malformed HTTP request';

/**
 * The invariants: never 5xx, errors are the envelope, nothing internal in the response, and an
 * error status the route answers with is one its operation in the document lists.
 */
export function violations(c: FuzzCase, r: FuzzResult): string[] {
  const out: string[] = [];
  if (r.status >= 500) out.push(`status ${r.status}`);
  if (r.status >= 400 && c.method !== 'HEAD') {
    let json: { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined;
    try {
      json = JSON.parse(r.text);
    } catch {
      json = undefined;
    }
    const e = json?.error;
    if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || typeof e.requestId !== 'string') {
      out.push(`not an error envelope: ${r.text.slice(0, 200)}`);
    }
    const routed = !BEFORE_ROUTING.has(r.status) && e?.message !== MALFORMED;
    if (c.method === c.route.method && routed && !c.route.statuses.includes(r.status)) {
      out.push(`status ${r.status} (${String(e?.code)}) is not in the document's responses of ${c.route.method} ${c.route.template}`);
    }
  }
  const sent = c.path + JSON.stringify(c.headers) + (c.body?.toString('latin1') ?? '');
  for (const [what, pattern] of LEAKS) {
    if (pattern.test(r.text) && !pattern.test(sent)) out.push(`${what} in response: ${r.text.slice(0, 300)}`);
  }
  return out;
}

/** Every table's rows (audit log and key last-use excluded: reads are audited, use is recorded). */
export async function snapshot(db: Kysely<DB>, dialect: 'sqlite' | 'postgres' = 'sqlite'): Promise<Record<string, unknown[]>> {
  const tables =
    dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)).rows
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db)).rows;
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables.sort((a, b) => a.name.localeCompare(b.name))) {
    if (name === 'audit_log' || name === 'audit_head') continue;
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db)).rows.map((row) => {
      const copy: Record<string, unknown> = { ...row };
      if (name === 'api_keys') delete copy.last_used_at;
      for (const [k, v] of Object.entries(copy)) if (Buffer.isBuffer(v)) copy[k] = v.toString('base64');
      return JSON.stringify(copy);
    });
    out[name] = rows.sort();
  }
  return out;
}
