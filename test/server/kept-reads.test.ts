import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initInstance, openDatabase, parseMasterKey, startServer, type KryptDatabase } from '../../src/server/entry/index.js';
import { sqliteFile } from '../../src/server/store/database.js';
import { callApi, startTestServer, type TestServer } from '../helpers/server.js';

// The server keeps who holds a key, memberships and environment rows between requests while the
// store does not change (src/server/services/kept-reads.ts). Each change below must count for the
// very next request, as if nothing were kept: on SQLite because the store says so, on PostgreSQL
// because nothing is kept there. Every case first reads, so the rows are kept when the change comes.

const SLUG = 'kept';
const SECRETS = `/v1/projects/${SLUG}/environments/development/secrets`;

describe.each(['sqlite', 'postgres'] as const)('kept reads on %s', (dialect) => {
  let srv: TestServer;

  async function join(email: string): Promise<string> {
    const invite = await srv.call('POST', `/v1/projects/${SLUG}/invites`, { body: { email, role: 'member' } });
    expect(invite.status).toBe(201);
    const redeemed = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: invite.json.code } });
    expect(redeemed.status).toBe(201);
    return redeemed.json.token as string;
  }

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: SLUG } })).status).toBe(201);
    expect((await srv.call('PATCH', SECRETS, { body: { set: { A: 'one' } } })).status).toBe(200);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('refuses a key on the request right after it is revoked', async () => {
    const created = await srv.call('POST', '/v1/keys', { body: { name: 'laptop' } });
    const token: string = created.json.token;
    for (let i = 0; i < 3; i++) expect((await srv.call('GET', SECRETS, { token })).status).toBe(200);
    expect((await srv.call('DELETE', `/v1/keys/${created.json.key.id}`)).status).toBe(204);
    const after = await srv.call('GET', SECRETS, { token });
    expect(after.status).toBe(401);
    expect(after.text).not.toContain('one');
  });

  it('refuses a member on the request right after they are removed, and a viewer right after a demotion', async () => {
    const removed = await join('gone@example.com');
    const demoted = await join('demoted@example.com');
    for (const token of [removed, demoted]) expect((await srv.call('GET', SECRETS, { token })).json.secrets).toEqual(expect.objectContaining({ A: expect.any(String) }));
    expect((await srv.call('DELETE', `/v1/projects/${SLUG}/members/gone@example.com`)).status).toBe(204);
    expect((await srv.call('PATCH', `/v1/projects/${SLUG}/members/demoted@example.com`, { body: { role: 'viewer' } })).status).toBe(200);
    expect((await srv.call('GET', SECRETS, { token: removed })).status).toBe(404);
    expect((await srv.call('GET', SECRETS, { token: demoted })).status).toBe(403);
  });

  it('serves the new revision on the read right after a write, and a full answer to the old revision', async () => {
    const before = await srv.call('GET', SECRETS);
    const write = await srv.call('PATCH', SECRETS, { body: { set: { A: 'two' } } });
    expect(write.status).toBe(200);
    const after = await srv.call('GET', SECRETS, { headers: { 'if-none-match': `"${before.json.revision}"` } });
    expect(after.status).toBe(200);
    expect(after.json).toMatchObject({ revision: write.json.revision, secrets: { A: 'two' } });
  });

  it('refuses a key on the next request once its expiry passes', async () => {
    const created = await srv.call('POST', '/v1/keys', { body: { name: 'short', expiresInSeconds: 3600 } });
    expect((await srv.call('GET', SECRETS, { token: created.json.token })).status).toBe(200);
    await srv.db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', created.json.key.id).execute();
    expect((await srv.call('GET', SECRETS, { token: created.json.token })).status).toBe(401);
  });
});

describe('kept reads on a SQLite file changed by another connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'krypt-kept-'));
  let kdb: KryptDatabase;
  let server: Awaited<ReturnType<typeof startServer>>;
  let token: string;
  let other: SqliteDatabase.Database;
  const call = (path: string, as = token) => callApi(server.url, as, 'GET', path);

  beforeAll(async () => {
    kdb = await openDatabase({ dataDir: dir });
    const init = await initInstance({ database: kdb });
    token = init.token;
    server = await startServer({ database: kdb, masterKey: parseMasterKey(init.masterKey), host: '127.0.0.1', port: 0, logLevel: 'error' });
    expect((await callApi(server.url, token, 'POST', '/v1/projects', { body: { slug: SLUG } })).status).toBe(201);
    expect((await callApi(server.url, token, 'PATCH', SECRETS, { body: { set: { A: 'one' } } })).status).toBe(200);
    // Not the server's connection: what it commits, the server learns only from the file.
    other = new SqliteDatabase(sqliteFile(dir));
  });
  afterAll(async () => {
    other?.close();
    await server?.close();
    await kdb?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees a revision written by the other connection on the next read', async () => {
    const before = await call(SECRETS);
    expect(before.json.secrets).toEqual({ A: 'one' });
    // Moves the revision without new rows: the read must notice the revision, not the rows.
    other.prepare('UPDATE environments SET revision = revision + 1 WHERE name = ?').run('development');
    const after = await call(SECRETS);
    expect(after.json.revision).toBe(before.json.revision + 1);
  });

  it('refuses a key the other connection revoked, on the next request', async () => {
    const created = await callApi(server.url, token, 'POST', '/v1/keys', { body: { name: 'laptop' } });
    // Twice: the first use records the key's last use (a change), the second is answered from what is kept.
    for (let i = 0; i < 2; i++) expect((await call(SECRETS, created.json.token)).status).toBe(200);
    other.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(new Date().toISOString(), created.json.key.id);
    expect((await call(SECRETS, created.json.token)).status).toBe(401);
    expect((await call(SECRETS)).status).toBe(200);
  });
});
