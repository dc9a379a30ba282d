import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKeys, encryptValue } from '../../src/server/crypto/value-crypto.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// One stored ciphertext altered outside Krypt: the key is named (error and log), reads of the other
// keys and writes that replace or delete the damaged key go on. SQLite and PostgreSQL.

describe.each(['sqlite', 'postgres'] as const)('a damaged row on %s', (dialect) => {
  let srv: TestServer;
  let projects = 0;
  const env = (slug: string) => `/v1/projects/${slug}/environments/production`;
  const damage = async (slug: string, key: string) => {
    const envId = (await srv.db.selectFrom('environments').innerJoin('projects', 'projects.id', 'environments.project_id').select('environments.id').where('projects.slug', '=', slug).where('environments.name', '=', 'production').executeTakeFirstOrThrow()).id;
    const row = await srv.db.selectFrom('secrets').select('value').where('environment_id', '=', envId).where('key', '=', key).executeTakeFirstOrThrow();
    const flipped = row.value.slice(0, 40) + (row.value[40] === '0' ? '1' : '0') + row.value.slice(41);
    await srv.db.updateTable('secrets').set({ value: flipped }).where('environment_id', '=', envId).where('key', '=', key).execute();
  };
  /** A project of its own whose production holds GOOD, OTHER and a damaged BAD (version 1). */
  const damagedProject = async (): Promise<string> => {
    const slug = `app-${++projects}`;
    expect((await srv.call('POST', '/v1/projects', { body: { slug } })).status).toBe(201);
    expect((await srv.call('PATCH', `${env(slug)}/secrets`, { body: { set: { GOOD: 'good-value', BAD: 'bad-original', OTHER: 'other-value' } } })).status).toBe(200);
    await damage(slug, 'BAD');
    return slug;
  };

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('the bulk read returns the intact keys and names the damaged one; the log names it too', async () => {
    const slug = await damagedProject();
    const r = await srv.call('GET', `${env(slug)}/secrets`);
    expect(r.status, r.text).toBe(200);
    expect(r.json.secrets).toEqual({ GOOD: 'good-value', OTHER: 'other-value' });
    expect(r.json.damaged).toEqual(['BAD']);
    expect(srv.logs()).toMatch(/"level":50.*failed their integrity check, left out of a read: BAD/);
    expect(srv.logs()).not.toContain('bad-original');
  });

  it('the single read of the damaged key is an error naming it; other single reads work', async () => {
    const slug = await damagedProject();
    const bad = await srv.call('GET', `${env(slug)}/secrets/BAD`);
    expect(bad.status).toBe(500);
    expect(bad.json.error.message).toBe(`the stored value of BAD in ${slug}/production (version 1) failed its integrity check`);
    expect(srv.logs()).toContain(`the stored value of BAD in ${slug}/production (version 1) failed its integrity check`);
    expect((await srv.call('GET', `${env(slug)}/secrets/GOOD`)).json.value).toBe('good-value');
  });

  it('writes of other keys proceed, and a member\'s production change request can be made and shown', async () => {
    const slug = await damagedProject();
    const { code } = (await srv.call('POST', `/v1/projects/${slug}/invites`, { body: { email: `mia-${slug}@example.com`, role: 'member' } })).json;
    const member = (await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code } })).json.token as string;
    expect((await srv.call('PATCH', `${env(slug)}/secrets`, { body: { set: { OTHER: 'other-2' } } })).status).toBe(200);
    const cr = await srv.call('PATCH', `${env(slug)}/secrets`, { token: member, body: { set: { BAD: 'proposed', GOOD: 'good-2' } } });
    expect(cr.status, cr.text).toBe(202);
    const shown = await srv.call('GET', `/v1/projects/${slug}/change-requests/${cr.json.changeRequest.id}?reveal=true`);
    expect(shown.status, shown.text).toBe(200);
    expect(shown.json.diff).toEqual([
      { key: 'BAD', change: 'changed', current: null, proposed: 'proposed' },
      { key: 'GOOD', change: 'changed', current: 'good-value', proposed: 'good-2' },
    ]);
  });

  it('replacing the damaged key repairs it; deleting a damaged key removes it', async () => {
    const slug = await damagedProject();
    const fix = await srv.call('PATCH', `${env(slug)}/secrets`, { body: { set: { BAD: 'bad-replaced' } } });
    expect(fix.status, fix.text).toBe(200);
    expect(fix.json.changed).toEqual(['BAD']);
    const r = await srv.call('GET', `${env(slug)}/secrets`);
    expect(r.json.damaged).toBeUndefined();
    expect(r.json.secrets.BAD).toBe('bad-replaced');
    await damage(slug, 'OTHER');
    const del = await srv.call('PATCH', `${env(slug)}/secrets`, { body: { delete: ['OTHER'] } });
    expect(del.status, del.text).toBe(200);
    expect(del.json.deleted).toEqual(['OTHER']);
    expect((await srv.call('GET', `${env(slug)}/secrets`)).json).toMatchObject({ secrets: { BAD: 'bad-replaced', GOOD: 'good-value' } });
  });
});

describe.each(['sqlite', 'postgres'] as const)('a stored NUL value on %s', (dialect) => {
  let srv: TestServer;
  afterAll(async () => {
    await srv?.close();
  });

  it('cannot be reinstated by a rollback (an older server accepted NUL)', async () => {
    srv = await startTestServer({ dialect });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'nul' } })).status).toBe(201);
    const path = '/v1/projects/nul/environments/development/secrets';
    expect((await srv.call('PATCH', path, { body: { set: { K: 'first' } } })).status).toBe(200);
    expect((await srv.call('PATCH', path, { body: { set: { K: 'second' } } })).status).toBe(200);
    // version 1 rewritten as a NUL value, encrypted exactly as the server stores values
    const env = await srv.db.selectFrom('environments').innerJoin('projects', 'projects.id', 'environments.project_id').select(['environments.id', 'projects.id as pid']).where('projects.slug', '=', 'nul').where('environments.name', '=', 'development').executeTakeFirstOrThrow();
    const stored = encryptValue(deriveKeys(Buffer.from(srv.masterKey, 'hex')), { projectId: env.pid, environment: 'development', key: 'K', version: 1 }, 'a\0b');
    await srv.db.updateTable('secret_versions').set(stored).where('environment_id', '=', env.id).where('key', '=', 'K').where('version', '=', 1).execute();
    const r = await srv.call('POST', `${path}/K/rollback`, { body: { version: 1 } });
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.message).toBe('K: values cannot contain a NUL character (U+0000): no program can receive it in its environment');
    expect((await srv.call('GET', `${path}/K`)).json.value).toBe('second');
  });
});
