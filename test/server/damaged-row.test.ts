import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKeys, encryptValue } from '../../src/server/crypto/value-crypto.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// One stored ciphertext altered outside Krypt: the key is named (error and log), reads of the other
// keys and writes that replace or delete the damaged key go on. SQLite and PostgreSQL.

describe.each(['sqlite', 'postgres'] as const)('a damaged row on %s', (dialect) => {
  let srv: TestServer;
  let member: string;
  const env = (name = 'production') => `/v1/projects/app/environments/${name}`;
  const damage = async (key: string) => {
    const envId = (await srv.db.selectFrom('environments').innerJoin('projects', 'projects.id', 'environments.project_id').select('environments.id').where('projects.slug', '=', 'app').where('environments.name', '=', 'production').executeTakeFirstOrThrow()).id;
    const row = await srv.db.selectFrom('secrets').select('value').where('environment_id', '=', envId).where('key', '=', key).executeTakeFirstOrThrow();
    const flipped = row.value.slice(0, 40) + (row.value[40] === '0' ? '1' : '0') + row.value.slice(41);
    await srv.db.updateTable('secrets').set({ value: flipped }).where('environment_id', '=', envId).where('key', '=', key).execute();
  };

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'app' } })).status).toBe(201);
    const { code } = (await srv.call('POST', '/v1/projects/app/invites', { body: { email: 'mia@example.com', role: 'member' } })).json;
    member = (await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code } })).json.token;
    expect((await srv.call('PATCH', `${env()}/secrets`, { body: { set: { GOOD: 'good-value', BAD: 'bad-original', OTHER: 'other-value' } } })).status).toBe(200);
    await damage('BAD');
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('the bulk read returns the intact keys and names the damaged one; the log names it too', async () => {
    const r = await srv.call('GET', `${env()}/secrets`);
    expect(r.status, r.text).toBe(200);
    expect(r.json.secrets).toEqual({ GOOD: 'good-value', OTHER: 'other-value' });
    expect(r.json.damaged).toEqual(['BAD']);
    expect(srv.logs()).toMatch(/"level":50.*failed their integrity check, left out of a read: BAD/);
    expect(srv.logs()).not.toContain('bad-original');
  });

  it('the single read of the damaged key is an error naming it; other single reads work', async () => {
    const bad = await srv.call('GET', `${env()}/secrets/BAD`);
    expect(bad.status).toBe(500);
    expect(bad.json.error.message).toBe('the stored value of BAD in app/production (version 1) failed its integrity check');
    expect(srv.logs()).toMatch(/the stored value of BAD in app\/production \(version 1\) failed its integrity check/);
    expect((await srv.call('GET', `${env()}/secrets/GOOD`)).json.value).toBe('good-value');
  });

  it('writes of other keys proceed, and a member\'s production change request can be made and shown', async () => {
    expect((await srv.call('PATCH', `${env()}/secrets`, { body: { set: { OTHER: 'other-2' } } })).status).toBe(200);
    const cr = await srv.call('PATCH', `${env()}/secrets`, { token: member, body: { set: { BAD: 'proposed', GOOD: 'good-2' } } });
    expect(cr.status, cr.text).toBe(202);
    const shown = await srv.call('GET', `/v1/projects/app/change-requests/${cr.json.changeRequest.id}?reveal=true`);
    expect(shown.status, shown.text).toBe(200);
    expect(shown.json.diff).toEqual([
      { key: 'BAD', change: 'changed', current: null, proposed: 'proposed' },
      { key: 'GOOD', change: 'changed', current: 'good-value', proposed: 'good-2' },
    ]);
  });

  it('replacing the damaged key repairs it; deleting a damaged key removes it', async () => {
    const fix = await srv.call('PATCH', `${env()}/secrets`, { body: { set: { BAD: 'bad-replaced' } } });
    expect(fix.status, fix.text).toBe(200);
    expect(fix.json.changed).toEqual(['BAD']);
    const r = await srv.call('GET', `${env()}/secrets`);
    expect(r.json.damaged).toBeUndefined();
    expect(r.json.secrets.BAD).toBe('bad-replaced');
    await damage('OTHER');
    const del = await srv.call('PATCH', `${env()}/secrets`, { body: { delete: ['OTHER'] } });
    expect(del.status, del.text).toBe(200);
    expect(del.json.deleted).toEqual(['OTHER']);
    expect((await srv.call('GET', `${env()}/secrets`)).json).toMatchObject({ secrets: { BAD: 'bad-replaced', GOOD: 'good-value' } });
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
