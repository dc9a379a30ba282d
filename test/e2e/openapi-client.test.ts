import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAndCompileClient } from '../helpers/openapi-client.js';
import { responseChecker, type OpenApi3Document, type ResponseCheck } from '../helpers/openapi-validate.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// A team generates a client from the LIVE document (GET /v1/openapi.json): openapi-typescript
// types, an openapi-fetch client over them that tsc compiles, and then that client drives the daily
// loop against a real server, every response (success and error) checked against the schema the
// document declares for its operation and status. A status the document does not declare fails.

async function liveDocument(srv: TestServer): Promise<OpenApi3Document> {
  const res = await fetch(`${srv.url}/v1/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as OpenApi3Document;
}

// Compiled against the generated types: the calls of the daily loop type-check, and the lines
// expected to fail (ts-expect-error) prove the types are real: an `any` would leave them unused, an error.
const CLIENT_SOURCE = `import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

type ApiError = components['schemas']['ApiError'];

export const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:1', headers: { Authorization: 'Bearer krypt_x' } });

export async function dailyLoop(): Promise<ApiError | undefined> {
  const env = { slug: 'shop', env: 'development' } as const;
  const created = await client.POST('/v1/projects', { body: { slug: 'shop' } });
  const slug: string | undefined = created.data?.project.slug;
  const written = await client.PATCH('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: env }, body: { baseRevision: 0, set: { A: '1' }, delete: ['B'] } });
  if (written.data && 'revision' in written.data) {
    const revision: number = written.data.revision;
    const changed: string[] = written.data.changed;
    void revision, changed;
  }
  const read = await client.GET('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: env, header: { 'If-None-Match': '"1"' } } });
  const values: Record<string, string> | undefined = read.data?.secrets;
  const one = await client.GET('/v1/projects/{slug}/environments/{env}/secrets/{key}', { params: { path: { ...env, key: 'A' } } });
  const value: string | undefined = one.data?.value;
  const members = await client.GET('/v1/projects/{slug}/members', { params: { path: { slug: 'shop' } } });
  const emails: string[] | undefined = members.data?.members.map((m) => m.email);
  void slug, values, value, emails;
  // @ts-expect-error environments are development, staging or production
  await client.GET('/v1/projects/{slug}/environments/{env}/keys', { params: { path: { slug: 'shop', env: 'qa' } } });
  // @ts-expect-error not a path of the API
  await client.GET('/v1/nowhere');
  // @ts-expect-error a project is created from a slug
  await client.POST('/v1/projects', { body: { name: 'shop' } });
  return written.error;
}
`;

describe('a client generated from the live OpenAPI document', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('generates types with openapi-typescript and an openapi-fetch client over them compiles', async () => {
    const generated = await generateAndCompileClient(await liveDocument(srv), CLIENT_SOURCE);
    expect(generated.types).toContain('"/v1/projects/{slug}/environments/{env}/secrets"');
    expect(generated.diagnostics, generated.diagnostics).toBe('');
    expect(generated.exitCode).toBe(0);
  }, 120_000);
});

// The paths type is generated at run time, so this file's client is untyped; the compiled client above checks the types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type LoosePaths = any;

describe.each(['sqlite', 'postgres'] as const)('the daily loop through openapi-fetch, checked against the document (%s)', (dialect) => {
  let srv: TestServer;
  let check: ReturnType<typeof responseChecker>;
  const checks: ResponseCheck[] = [];
  const P = { slug: 'shop', env: 'development' };

  /** Checks every response against the document before openapi-fetch parses it; a mismatch fails the call. */
  const validating: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      const type = response.headers.get('content-type');
      // A stream never ends by itself: its body is read by the test, only its status and type are checked here.
      const text = type?.startsWith('text/event-stream') ? '' : await response.clone().text();
      const result = check(request.method, schemaPath, response.status, type, text);
      checks.push(result);
      if (result.problems.length > 0) throw new Error(`${request.method} ${schemaPath}:\n${result.problems.join('\n')}`);
    },
  };
  const client = (token: string | null): Client<LoosePaths> => {
    const c = createClient<LoosePaths>({ baseUrl: srv.url, ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}) });
    c.use(validating);
    return c;
  };
  let owner: Client<LoosePaths>;

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    check = responseChecker(await liveDocument(srv));
    owner = client(srv.token);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('has a checker that refuses an undeclared status and a body off its schema (so the checks below can fail)', () => {
    const path = '/v1/projects/{slug}/environments/{env}/secrets';
    expect(check('GET', path, 418, 'application/json', '{}').problems.join()).toMatch(/status 418 is not declared/);
    expect(check('GET', path, 200, 'application/json', JSON.stringify({ project: 'shop', environment: 'qa', revision: 1, secrets: {} })).problems).toHaveLength(1);
    expect(check('GET', path, 404, 'application/json', JSON.stringify({ error: { code: 'not_found', message: 'no' } })).problems.join()).toMatch(/requestId/);
    expect(check('GET', path, 304, null, 'body').problems.join()).toMatch(/declares no body/);
  });

  it('answers the open routes: /healthz and the document itself', async () => {
    const anonymous = client(null);
    expect((await anonymous.GET('/healthz', {})).data).toEqual({ status: 'ok' });
    expect((await anonymous.GET('/v1/openapi.json', {})).data.info.title).toBe('Krypt API');
  });

  it('creates a project, writes secrets and reads them back (200, then 304 for the same revision)', async () => {
    const created = await owner.POST('/v1/projects', { body: { slug: 'shop' } });
    expect(created.response.status).toBe(201);
    expect(created.data.project.slug).toBe('shop');
    const written = await owner.PATCH('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: P }, body: { set: { DB_URL: 'postgres://db', STRIPE_KEY: 'sk_test_1', OLD: 'x' } } });
    expect(written.response.status).toBe(200);
    expect(written.data).toEqual({ revision: 1, changed: ['DB_URL', 'OLD', 'STRIPE_KEY'], deleted: [] });

    const read = await owner.GET('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: P } });
    expect(read.response.status).toBe(200);
    expect(read.data.secrets).toEqual({ DB_URL: 'postgres://db', STRIPE_KEY: 'sk_test_1', OLD: 'x' });
    const etag = read.response.headers.get('etag');
    expect(etag).toBe('"1"');
    const again = await owner.GET('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: P, header: { 'If-None-Match': etag } } });
    expect(again.response.status).toBe(304);

    const one = await owner.GET('/v1/projects/{slug}/environments/{env}/secrets/{key}', { params: { path: { ...P, key: 'STRIPE_KEY' } } });
    expect(one.data).toMatchObject({ key: 'STRIPE_KEY', value: 'sk_test_1', version: 1 });
    const keys = await owner.GET('/v1/projects/{slug}/environments/{env}/keys', { params: { path: P } });
    expect(keys.data.keys.map((k: { key: string }) => k.key)).toEqual(['DB_URL', 'OLD', 'STRIPE_KEY']);
    expect((await owner.GET('/v1/projects', {})).data.projects.map((p: { slug: string }) => p.slug)).toContain('shop');
  });

  it('changes a key, keeps its history, deletes another', async () => {
    const changed = await owner.PATCH('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: P }, body: { baseRevision: 1, set: { STRIPE_KEY: 'sk_test_2' }, delete: ['OLD'] } });
    expect(changed.data).toEqual({ revision: 2, changed: ['STRIPE_KEY'], deleted: ['OLD'] });
    const history = await owner.GET('/v1/projects/{slug}/environments/{env}/secrets/{key}/history', { params: { path: { ...P, key: 'STRIPE_KEY' } } });
    expect(history.data.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const gone = await owner.GET('/v1/projects/{slug}/environments/{env}/secrets/{key}', { params: { path: { ...P, key: 'OLD' } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error.error.code).toBe('not_found');
  });

  it("lists members, invites one who redeems the code, and holds the Member's production write for approval (202)", async () => {
    const invite = await owner.POST('/v1/projects/{slug}/invites', { params: { path: { slug: 'shop' } }, body: { email: 'mia@example.com', role: 'member' } });
    expect(invite.response.status).toBe(201);
    const redeemed = await client(null).POST('/v1/invites/redeem', { body: { code: invite.data.code, name: 'Mia' } });
    expect(redeemed.response.status).toBe(201);
    const mia = client(redeemed.data.token);
    const members = await mia.GET('/v1/projects/{slug}/members', { params: { path: { slug: 'shop' } } });
    expect(members.data.members.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual([
      ['admin@krypt.local', 'owner'],
      ['mia@example.com', 'member'],
    ]);

    const held = await mia.PATCH('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: { slug: 'shop', env: 'production' } }, body: { set: { DB_URL: 'postgres://prod' } } });
    expect(held.response.status).toBe(202);
    const id = held.data.changeRequest.id as number;
    const listed = await owner.GET('/v1/projects/{slug}/change-requests', { params: { path: { slug: 'shop' }, query: { status: 'pending' } } });
    expect(listed.data.changeRequests.map((c: { id: number }) => c.id)).toEqual([id]);
    expect((await owner.GET('/v1/projects/{slug}/change-requests/{id}', { params: { path: { slug: 'shop', id } } })).response.status).toBe(200);
    const approved = await owner.POST('/v1/projects/{slug}/change-requests/{id}/approve', { params: { path: { slug: 'shop', id } }, body: {} });
    expect(approved.data.changeRequest.status).toBe('approved');

    const forbidden = await mia.DELETE('/v1/projects/{slug}', { params: { path: { slug: 'shop' } } });
    expect(forbidden.response.status).toBe(403);
    expect(forbidden.error.error.code).toBe('forbidden');
  });

  it('answers errors in the envelope the document declares: 401, 404, 409, 400', async () => {
    const bad = await client(`krypt_${'x'.repeat(43)}`).GET('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: P } });
    expect(bad.response.status).toBe(401);
    expect(bad.error.error).toMatchObject({ code: 'unauthorized', requestId: bad.response.headers.get('x-request-id') });

    const unknown = await owner.GET('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: { slug: 'no-such-project', env: 'development' } } });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error.error.code).toBe('not_found');

    const stale = await owner.PATCH('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: P }, body: { baseRevision: 1, set: { STRIPE_KEY: 'sk_test_3' } } });
    expect(stale.response.status).toBe(409);
    expect(stale.error.error).toMatchObject({ code: 'conflict', keys: ['STRIPE_KEY'] });

    const invalid = await owner.PATCH('/v1/projects/{slug}/environments/{env}/secrets', { params: { path: P }, body: { set: { '1BAD': 'x' } } });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error.error.code).toBe('validation');
    const badSlug = await owner.POST('/v1/projects', { body: { slug: 'Bad Slug!' } });
    expect(badSlug.response.status).toBe(400);
  });

  it('streams the revision as text/event-stream', async () => {
    const stream = await owner.GET('/v1/projects/{slug}/environments/{env}/events', { params: { path: P }, parseAs: 'stream' });
    expect(stream.response.status).toBe(200);
    const reader = (stream.data as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('\n\n')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await reader.cancel();
    expect(text).toMatch(/^event: revision\ndata: \{"revision":2\}\n\n/);
  });

  it('checked every response against the document, successes and errors alike', () => {
    expect(checks.filter((c) => c.problems.length > 0)).toEqual([]);
    const seen = new Set(checks.map((c) => `${c.operationId} ${c.status}`));
    for (const expected of [
      'health 200', 'openApiDocument 200', 'createProject 201', 'writeSecrets 200', 'writeSecrets 202', 'getSecrets 200', 'getSecrets 304',
      'getSecret 200', 'getSecret 404', 'listKeys 200', 'listProjects 200', 'secretHistory 200', 'createInvite 201', 'redeemInvite 201',
      'listMembers 200', 'listChangeRequests 200', 'getChangeRequest 200', 'approveChangeRequest 200', 'deleteProject 403',
      'getSecrets 401', 'getSecrets 404', 'writeSecrets 409', 'writeSecrets 400', 'createProject 400', 'watchEnvironment 200',
    ]) {
      expect(seen, expected).toContain(expected);
    }
  });
});
