import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/lib/api/client.js';
import { readEnvironment } from '../../src/lib/api/environment-read.js';
import { USER_AGENT } from '../../src/lib/api/transport.js';

// The CLI's two ways to the API (the typed client and the fast bulk read) against a stub server,
// for what a real server never answers: undocumented statuses and bodies that fail their schema.
// Real-server behaviour is covered by test/e2e and test/commands.

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const secretsBody = { project: 'p', environment: 'development', revision: 3, secrets: { A: '1' } };
const pending = {
  changeRequest: {
    id: 1, project: 'p', environment: 'production', status: 'pending', requestedBy: 'm@x.io', createdAt: 't',
    baseRevision: 1, changes: [{ key: 'A', action: 'set' }], decidedBy: null, decidedAt: null, reason: null,
  },
};

describe('the API client and the fast bulk read', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body?: string };
  let seen: Seen[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));
  beforeEach(() => {
    seen = [];
  });

  const reply = (status: number, body?: unknown) => {
    answer = { status, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) };
  };
  const client = () => createApiClient({ apiUrl: url, token: 'krypt_test', command: 'test' });
  const BAD = { code: 'bad_response', kind: 'remote', hint: 'check that --api-url points at a Krypt server of a compatible version' };

  it('builds method, path and query from the route table, percent-encoding parameters', async () => {
    reply(204);
    await client().removeMember('proj', 'a+b@x.io');
    reply(200, { project: 'p', environment: 'staging', key: 'K', versions: [] });
    await client().secretHistory('proj', 'staging', 'K', true);
    await client().secretHistory('proj', 'staging', 'K');
    reply(200, { entries: [], next: null });
    await client().listAudit('proj', { limit: 5, actor: undefined, environment: 'production', action: 'secret.read', before: 40 });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'DELETE /v1/projects/proj/members/a%2Bb%40x.io',
      'GET /v1/projects/proj/environments/staging/secrets/K/history?reveal=true',
      'GET /v1/projects/proj/environments/staging/secrets/K/history',
      'GET /v1/projects/proj/audit?limit=5&environment=production&action=secret.read&before=40',
    ]);
  });

  it('sends the key only where the table asks for it, and one user agent everywhere', async () => {
    reply(201, { user: { id: 'u', email: 'e@x.io', name: 'e' }, token: 'krypt_new', project: 'p', role: 'member' });
    await client().redeemInvite('kinv_code');
    reply(200, secretsBody);
    await client().getSecrets('p', 'development');
    await readEnvironment({ apiUrl: url, token: 'krypt_test', project: 'p', environment: 'development', command: 'run' });
    expect(seen.map((s) => s.headers.authorization)).toEqual([undefined, 'Bearer krypt_test', 'Bearer krypt_test']);
    expect(seen.map((s) => s.headers['user-agent'])).toEqual([USER_AGENT, USER_AGENT, USER_AGENT]);
    expect(seen.map((s) => s.headers['x-krypt-command'])).toEqual(['test', 'test', 'run']);
    expect(seen[0]?.body).toBe('{"code":"kinv_code"}');
  });

  it('parses each response with the schema of the status received', async () => {
    reply(202, pending);
    expect(await client().writeSecrets('p', 'production', { set: { A: '1' } })).toEqual(pending);
    reply(200, { revision: 2, changed: ['A'], deleted: [] });
    expect(await client().writeSecrets('p', 'production', { set: { A: '1' } })).toEqual({ revision: 2, changed: ['A'], deleted: [] });
    // A pending change request is the 202's body, not the 200's.
    reply(200, pending);
    await expect(client().writeSecrets('p', 'production', { set: { A: '1' } })).rejects.toMatchObject({ ...BAD, message: 'unexpected response from the server (HTTP 200)' });
    reply(204);
    expect(await client().deleteProject('p')).toBeUndefined();
  });

  it.each([
    ['an undocumented status', 201, secretsBody],
    ['an undocumented 204', 204, undefined],
    ['a 304 it never asked for', 304, undefined],
    ['a body failing the schema', 200, { ...secretsBody, revision: -1 }],
    ['a body that is not JSON', 200, '<html>'],
  ])('answers %s with bad_response', async (_what, status, body) => {
    reply(status, body);
    const message = `unexpected response from the server (HTTP ${status})`;
    await expect(client().getSecrets('p', 'development')).rejects.toMatchObject({ ...BAD, message });
    if (status !== 304) {
      await expect(readEnvironment({ apiUrl: url, token: 't', project: 'p', environment: 'development', command: 'run' })).rejects.toMatchObject({ ...BAD, message });
    }
  });

  it('leaves errors (400 and up) to the error envelope', async () => {
    reply(404, { error: { code: 'not_found', message: 'project "p" not found', requestId: 'r' } });
    await expect(client().listMembers('p')).rejects.toMatchObject({ code: 'not_found', message: 'project "p" not found' });
    await expect(readEnvironment({ apiUrl: url, token: 't', project: 'p', environment: 'development', command: 'run' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reads an environment through a 200 or a 304 for the revision it holds', async () => {
    reply(200, { ...secretsBody, extra: true, damaged: ['B'] });
    expect(await readEnvironment({ apiUrl: url, token: 't', project: 'p', environment: 'development', command: 'run' })).toEqual({
      status: 'fresh', revision: 3, secrets: { A: '1' }, damaged: ['B'],
    });
    reply(304);
    expect(await readEnvironment({ apiUrl: url, token: 't', project: 'p', environment: 'development', command: 'run', knownRevision: 3 })).toEqual({ status: 'not-modified', revision: 3 });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.headers['if-none-match'] ?? '-'}`)).toEqual([
      'GET /v1/projects/p/environments/development/secrets -',
      'GET /v1/projects/p/environments/development/secrets "3"',
    ]);
  });
});
