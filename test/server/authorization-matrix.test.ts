import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.js';

// Every role × environment × action against the real HTTP API, on SQLite and PostgreSQL.
// The expected outcomes are data, transcribed from PRODUCT.md §1:
//
//   | Role   | Read all envs | Write development/staging | Write production             | Manage members              |
//   | Owner  | yes           | yes                       | yes, directly                | yes                         |
//   | Admin  | yes           | yes                       | yes, directly                | yes (cannot remove Owner)   |
//   | Member | yes           | yes                       | only through a change request | no                          |
//   | Viewer | names only    | no                        | no                           | no                          |
//
// plus: Owners and Admins approve or reject change requests; only the requester cancels; service
// tokens (here: one made by the owner for staging) list and read their one environment and nothing
// else; Owner/Admin create service tokens for any environment, Members for development and staging;
// every member reads the audit log.

const WHO = ['owner', 'admin', 'member', 'viewer', 'service'] as const;
type Who = (typeof WHO)[number];
const ENVS = ['development', 'staging', 'production'] as const;
type Env = (typeof ENVS)[number];

/** [development, staging, production]; null = does not arise (change requests exist only for production). */
type Row = readonly [number | null, number | null, number | null];
const all = (status: number): Row => [status, status, status];
const prodOnly = (status: number): Row => [null, null, status];

const EXPECTED: Record<string, Record<Who, Row>> = {
  'bulk read': { owner: all(200), admin: all(200), member: all(200), viewer: all(403), service: [403, 200, 403] },
  'single read': { owner: all(200), admin: all(200), member: all(200), viewer: all(403), service: [403, 200, 403] },
  'list keys': { owner: all(200), admin: all(200), member: all(200), viewer: all(200), service: [403, 200, 403] },
  write: { owner: all(200), admin: all(200), member: [200, 200, 202], viewer: all(403), service: all(403) },
  delete: { owner: all(200), admin: all(200), member: [200, 200, 202], viewer: all(403), service: all(403) },
  'member management (invite)': { owner: all(201), admin: all(201), member: all(403), viewer: all(403), service: all(403) },
  'change request approve': { owner: prodOnly(200), admin: prodOnly(200), member: prodOnly(403), viewer: prodOnly(403), service: prodOnly(403) },
  'change request reject': { owner: prodOnly(200), admin: prodOnly(200), member: prodOnly(403), viewer: prodOnly(403), service: prodOnly(403) },
  // The member cancels their own request; everyone else tries to cancel the member's request.
  'change request cancel': { owner: prodOnly(403), admin: prodOnly(403), member: prodOnly(200), viewer: prodOnly(403), service: prodOnly(403) },
  'service-token creation': { owner: all(201), admin: all(201), member: [201, 201, 403], viewer: all(403), service: all(403) },
  'audit read': { owner: all(200), admin: all(200), member: all(200), viewer: all(200), service: all(403) },
};

/** What each action leaves in production once every caller has tried it (the rest: nothing). */
const PRODUCTION_EFFECT: Record<string, { added: string[]; removed: string[] }> = {
  write: { added: ['W_admin', 'W_owner'], removed: [] },
  delete: { added: [], removed: ['D_admin', 'D_owner'] },
  'change request approve': { added: ['CR_A_admin', 'CR_A_owner'], removed: [] },
};

const SLUG = 'matrix';

describe.each(['sqlite', 'postgres'] as const)('authorization matrix on %s', (dialect) => {
  let srv: TestServer;
  const tokens = {} as Record<Who, string>;
  const p = `/v1/projects/${SLUG}`;
  const envPath = (env: Env) => `${p}/environments/${env}`;
  const as = (who: Who, method: string, path: string, body?: unknown) =>
    srv.call(method, path, { token: tokens[who], ...(body !== undefined ? { body } : {}) });

  /** A fresh pending change request made by the member in production; returns its number. */
  async function memberRequest(tag: string): Promise<number> {
    const r = await as('member', 'PATCH', `${envPath('production')}/secrets`, { set: { [`CR_${tag}`]: `proposed-${tag}` } });
    expect(r.status).toBe(202);
    return r.json.changeRequest.id as number;
  }

  const ATTEMPT: Record<string, (who: Who, env: Env) => Promise<ApiResponse>> = {
    'bulk read': (who, env) => as(who, 'GET', `${envPath(env)}/secrets`),
    'single read': (who, env) => as(who, 'GET', `${envPath(env)}/secrets/SEED`),
    'list keys': (who, env) => as(who, 'GET', `${envPath(env)}/keys`),
    write: (who, env) => as(who, 'PATCH', `${envPath(env)}/secrets`, { set: { [`W_${who}`]: `written-by-${who}` } }),
    delete: (who, env) => as(who, 'PATCH', `${envPath(env)}/secrets`, { delete: [`D_${who}`] }),
    'member management (invite)': (who, env) => as(who, 'POST', `${p}/invites`, { email: `invitee-${who}-${env}@example.com`, role: 'viewer' }),
    'change request approve': async (who) => as(who, 'POST', `${p}/change-requests/${await memberRequest(`A_${who}`)}/approve`, {}),
    'change request reject': async (who) => as(who, 'POST', `${p}/change-requests/${await memberRequest(`R_${who}`)}/reject`, { reason: 'not now' }),
    'change request cancel': async (who) => as(who, 'POST', `${p}/change-requests/${await memberRequest(`C_${who}`)}/cancel`),
    'service-token creation': (who, env) => as(who, 'POST', '/v1/keys', { name: `ci-${who}-${env}`, service: { project: SLUG, environment: env } }),
    'audit read': (who) => as(who, 'GET', `${p}/audit?limit=1`),
  };

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    tokens.owner = srv.token;
    expect((await srv.call('POST', '/v1/projects', { body: { slug: SLUG } })).status).toBe(201);
    for (const role of ['admin', 'member', 'viewer'] as const) {
      const invite = await srv.call('POST', `${p}/invites`, { body: { email: `${role}@example.com`, role } });
      expect(invite.status).toBe(201);
      const joined = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: invite.json.code } });
      expect(joined.status).toBe(201);
      tokens[role] = joined.json.token;
    }
    const service = await srv.call('POST', '/v1/keys', { body: { name: 'ci', service: { project: SLUG, environment: 'staging' } } });
    expect(service.status).toBe(201);
    tokens.service = service.json.token;
    const seed: Record<string, string> = { SEED: 'seed-value' };
    for (const who of WHO) seed[`D_${who}`] = `to-delete-${who}`;
    for (const env of ENVS) expect((await srv.call('PATCH', `${envPath(env)}/secrets`, { body: { set: seed } })).status).toBe(200);
  });
  afterAll(async () => {
    await srv?.close();
  });

  const productionKeys = async () => new Set(Object.keys((await srv.call('GET', `${envPath('production')}/secrets`)).json.secrets as object));

  it.each(Object.keys(EXPECTED))('%s', async (action) => {
    const before = await productionKeys();
    const observed = {} as Record<Who, (number | null)[]>;
    for (const who of WHO) {
      observed[who] = [];
      for (const [i, env] of ENVS.entries()) {
        if ((EXPECTED[action] as Record<Who, Row>)[who][i] === null) {
          observed[who].push(null);
          continue;
        }
        const r = await (ATTEMPT[action] as (w: Who, e: Env) => Promise<ApiResponse>)(who, env);
        if (r.status === 403) {
          expect(r.json.error.code).toBe('forbidden');
          if (who === 'service') expect(r.json.error.message).toBe(`service tokens are read-only and limited to ${SLUG}/staging`);
          else if (who === 'viewer' && ['bulk read', 'write', 'delete'].includes(action)) {
            expect(r.json.error.message).toBe('viewers can see key names only; ask an owner or admin for the member role');
          } else if (who === 'viewer' && action === 'single read') {
            expect(r.json.error.message).toBe('viewers see values only one at a time in the dashboard (`krypt open`), not with an API key');
          }
        }
        observed[who].push(r.status);
      }
    }
    expect(observed).toEqual(EXPECTED[action]);
    // Refused and pending writes leave production as it was; applied ones (and approved requests) land.
    const after = await productionKeys();
    expect({ added: [...after].filter((k) => !before.has(k)).sort(), removed: [...before].filter((k) => !after.has(k)).sort() }).toEqual(
      PRODUCTION_EFFECT[action] ?? { added: [], removed: [] },
    );
    for (const env of ENVS) expect((await srv.call('GET', `${envPath(env)}/secrets/SEED`)).json.value).toBe('seed-value');
  });

  // On PostgreSQL the key lookups of requests read in one loop turn share one query: each caller
  // must still get exactly what it gets alone, whoever it arrives with. The requests are pipelined
  // in one write, so the server reads them in the same turn.
  it('answers reads arriving together as it answers each alone, a revoked key and a stranger among them', async () => {
    const revoked = await srv.call('POST', '/v1/keys', { body: { name: 'revoked-soon' } });
    expect(revoked.status).toBe(201);
    expect((await srv.call('DELETE', `/v1/keys/${revoked.json.key.id}`)).status).toBe(204);
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'elsewhere' } })).status).toBe(201);

    const attempts: { label: string; expected: number; path: string; token: string }[] = [];
    for (let round = 0; round < 3; round++) {
      for (const who of WHO) {
        for (const [i, env] of ENVS.entries()) {
          attempts.push({ label: `${who} bulk read ${env}`, expected: (EXPECTED['bulk read'] as Record<Who, Row>)[who][i] as number, path: `${envPath(env)}/secrets`, token: tokens[who] });
          attempts.push({ label: `${who} list keys ${env}`, expected: (EXPECTED['list keys'] as Record<Who, Row>)[who][i] as number, path: `${envPath(env)}/keys`, token: tokens[who] });
        }
        // Only the owner belongs to the other project: everyone else is told it does not exist.
        attempts.push({ label: `${who} reads elsewhere`, expected: who === 'owner' ? 200 : who === 'service' ? 403 : 404, path: '/v1/projects/elsewhere/environments/development/secrets', token: tokens[who] });
      }
      attempts.push({ label: 'revoked key', expected: 401, path: `${envPath('development')}/secrets`, token: revoked.json.token });
      attempts.push({ label: 'unknown key', expected: 401, path: `${envPath('development')}/secrets`, token: `krypt_${'x'.repeat(43)}` });
    }
    const results = await getAllAtOnce(srv.url, attempts);
    expect(results.map((r, i) => `${attempts[i]!.label}: ${r.status}`)).toEqual(attempts.map((a) => `${a.label}: ${a.expected}`));
    for (const [i, r] of results.entries()) {
      if (r.status === 200 && attempts[i]!.label.includes('bulk read')) expect(JSON.parse(r.body).secrets.SEED).toBe('seed-value');
    }
  });
});

/**
 * The GETs pipelined on one connection in a single write, so the server parses them all from one
 * read, in the same event-loop turn (Node answers pipelined requests in order). Resolves with each
 * status and body.
 */
async function getAllAtOnce(base: string, requests: readonly { path: string; token: string }[]): Promise<{ status: number; body: string }[]> {
  const { hostname, port } = new URL(base);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.once('error', reject);
  });
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('error', reject);
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.write(
      requests
        .map(({ path, token }, i) => `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\n${i === requests.length - 1 ? 'Connection: close\r\n' : ''}\r\n`)
        .join(''),
    );
  });
  const answers: { status: number; body: string }[] = [];
  for (let at = 0; at < raw.length; ) {
    const end = raw.indexOf('\r\n\r\n', at);
    const head = raw.subarray(at, end).toString('latin1');
    const length = Number(/^content-length: *(\d+)$/im.exec(head)?.[1] ?? 0);
    answers.push({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: raw.subarray(end + 4, end + 4 + length).toString('utf8') });
    at = end + 4 + length;
  }
  return answers;
}
