import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initInstance, parseMasterKey, startServer, type KryptDatabase } from '../../src/server/entry/index.js';
import { normaliseEmailsMigration } from '../../src/server/store/migrations/0004-normalise-emails.js';
import { krypt, makeSandbox } from '../helpers/cli.js';
import type { TestPgDatabase } from '../helpers/pg.js';
import { openTestDatabase } from '../helpers/server.js';

// Emails are normalised (trimmed, lowercase) everywhere, the first user's included, so the
// account can be found by the email others type (invites, members, accepting an invite).

describe.each(['sqlite', 'postgres'] as const)('emails on %s', (dialect) => {
  let pgDb: TestPgDatabase | undefined;
  let kdb: KryptDatabase | undefined;
  afterEach(async () => {
    await kdb?.destroy();
    await pgDb?.drop();
    kdb = undefined;
    pgDb = undefined;
  });
  async function open(): Promise<KryptDatabase> {
    const opened = await openTestDatabase(dialect);
    pgDb = opened.pgDb;
    return (kdb = opened.kdb);
  }

  it('the first user is stored normalised and can accept an invite to their lowercase email', async () => {
    const db = await open();
    const init = await initInstance({ database: db, email: '  Boss@Example.COM ' });
    expect(init.user.email).toBe('boss@example.com');
    const server = await startServer({ database: db, masterKey: parseMasterKey(init.masterKey), port: 0, logLevel: 'error' });
    try {
      const call = (method: string, path: string, token: string, body?: unknown) =>
        fetch(server.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) }).then(async (r) => ({ status: r.status, json: await r.json() }));
      expect((await call('GET', '/v1/me', init.token)).json.user.email).toBe('boss@example.com');
      expect((await call('POST', '/v1/projects', init.token, { slug: 'p' })).status).toBe(201);
      const other = (await call('POST', '/v1/keys', init.token, { name: 'second' })).json.token as string;
      const { code } = (await call('POST', '/v1/projects/p/invites', init.token, { email: 'helper@example.com', role: 'admin' })).json;
      const helper = (await fetch(`${server.url}/v1/invites/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) }).then((r) => r.json())).token as string;
      expect((await call('POST', '/v1/projects', helper, { slug: 'q' })).status).toBe(201);
      const invite = (await call('POST', '/v1/projects/q/invites', helper, { email: 'BOSS@example.com', role: 'viewer' })).json;
      expect(invite.invite.email).toBe('boss@example.com');
      expect(await call('POST', '/v1/invites/accept', other, { code: invite.code })).toEqual({ status: 200, json: { project: 'q', role: 'viewer' } });
    } finally {
      await server.close();
    }
  });

  it('an email that is not one is refused at init, creating nothing', async () => {
    const db = await open();
    await expect(initInstance({ database: db, email: 'not-an-email' })).rejects.toMatchObject({ code: 'invalid_email' });
    expect(await db.db.selectFrom('users').selectAll().execute()).toEqual([]);
  });

  it('the migration lowercases stored emails, except where that would collide', async () => {
    const db = await open();
    const user = (id: string, email: string) => ({ id, email, name: id, created_at: new Date().toISOString() });
    await db.db.insertInto('users').values([user('a', 'Mixed@Case.io'), user('b', 'Twin@Example.com'), user('c', 'twin@example.com')]).execute();
    await normaliseEmailsMigration.up(db.db as never);
    const emails = (await db.db.selectFrom('users').select(['id', 'email']).orderBy('id').execute()).map((u) => u.email);
    expect(emails).toEqual(['mixed@case.io', 'Twin@Example.com', 'twin@example.com']);
  });
});

describe('krypt server init --email', () => {
  it('prints and stores the normalised email', async () => {
    const box = makeSandbox();
    const res = await krypt(['server', 'init', '--data-dir', join(box.home, 'data'), '--email', 'Boss@Example.COM', '--json'], { cwd: box.cwd, env: box.env });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).user.email).toBe('boss@example.com');
  });
});
