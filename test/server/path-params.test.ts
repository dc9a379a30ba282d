import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EMAIL_LENGTH, MAX_KEY_LENGTH } from '../../src/contract/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Every path parameter the contract allows round-trips at its maximum length (Fastify's router
// refuses parameters over 100 characters by default, which made long emails and keys unusable).

/** A valid email of exactly MAX_EMAIL_LENGTH characters, with `+` (sent as %2B) in the local part. */
function longestEmail(): string {
  const local = 'x+'.repeat(32); // 64 characters, the local-part limit
  const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(MAX_EMAIL_LENGTH - 64 - 1 - 63 - 1 - 63 - 1 - 4)}.com`;
  return `${local}@${domain}`;
}

describe.each(['sqlite', 'postgres'] as const)('path parameters at their maximum length on %s', (dialect) => {
  let srv: TestServer;
  const SLUG = 's'.repeat(64);
  const KEY = 'K'.repeat(MAX_KEY_LENGTH);
  const EMAIL = longestEmail();
  const env = `/v1/projects/${SLUG}/environments/development`;

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    expect(EMAIL).toHaveLength(MAX_EMAIL_LENGTH);
    expect((await srv.call('POST', '/v1/projects', { body: { slug: SLUG } })).status).toBe(201);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it(`a ${MAX_KEY_LENGTH}-character key: single read, history and rollback`, async () => {
    expect((await srv.call('PATCH', `${env}/secrets`, { body: { set: { [KEY]: 'one' } } })).status).toBe(200);
    expect((await srv.call('PATCH', `${env}/secrets`, { body: { set: { [KEY]: 'two' } } })).status).toBe(200);
    const one = await srv.call('GET', `${env}/secrets/${KEY}`);
    expect(one.status, one.text).toBe(200);
    expect(one.json).toMatchObject({ key: KEY, value: 'two', version: 2 });
    const history = await srv.call('GET', `${env}/secrets/${KEY}/history`);
    expect(history.status, history.text).toBe(200);
    expect(history.json.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const rollback = await srv.call('POST', `${env}/secrets/${KEY}/rollback`, { body: { version: 1 } });
    expect(rollback.status, rollback.text).toBe(200);
    expect((await srv.call('GET', `${env}/secrets/${KEY}`)).json.value).toBe('one');
    // one character more is a validation error naming the limit, not a router error
    const over = await srv.call('GET', `${env}/secrets/${KEY}K`);
    expect(over.status).toBe(400);
    expect(over.json.error.message).toContain(`at most ${MAX_KEY_LENGTH} characters`);
  });

  it(`a ${MAX_EMAIL_LENGTH}-character email: the member can be re-roled and removed`, async () => {
    const { code } = (await srv.call('POST', `/v1/projects/${SLUG}/invites`, { body: { email: EMAIL, role: 'admin' } })).json;
    expect((await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code } })).status).toBe(201);
    const member = `/v1/projects/${SLUG}/members/${encodeURIComponent(EMAIL)}`;
    expect(member.length - `/v1/projects/${SLUG}/members/`.length).toBeGreaterThan(MAX_EMAIL_LENGTH);
    const rerole = await srv.call('PATCH', member, { body: { role: 'viewer' } });
    expect(rerole.status, rerole.text).toBe(200);
    expect(rerole.json.member).toMatchObject({ email: EMAIL, role: 'viewer' });
    const removed = await srv.call('DELETE', member);
    expect(removed.status, removed.text).toBe(204);
    expect((await srv.call('GET', `/v1/projects/${SLUG}/members`)).json.members.map((m: { email: string }) => m.email)).not.toContain(EMAIL);
    const tooLong = await srv.call('DELETE', `/v1/projects/${SLUG}/members/${encodeURIComponent('a' + EMAIL)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error.code).toBe('validation');
  });

  it('a 64-character slug, invite ids, key ids and change-request numbers round-trip', async () => {
    // A project of its own: this test ends by deleting it.
    const SLUG = 't'.repeat(64);
    expect((await srv.call('POST', '/v1/projects', { body: { slug: SLUG } })).status).toBe(201);
    const invite = (await srv.call('POST', `/v1/projects/${SLUG}/invites`, { body: { email: 'later@example.com', role: 'member' } })).json;
    expect((await srv.call('DELETE', `/v1/projects/${SLUG}/invites/${invite.invite.id}`)).status).toBe(204);
    const key = (await srv.call('POST', '/v1/keys', { body: { name: 'n'.repeat(100) } })).json;
    expect((await srv.call('DELETE', `/v1/keys/${key.key.id}`)).status).toBe(204);
    expect((await srv.call('DELETE', `/v1/keys/${'i'.repeat(100)}`)).status).toBe(404);
    expect((await srv.call('GET', `/v1/projects/${SLUG}/change-requests/999999999`)).status).toBe(404);
    expect((await srv.call('GET', `/v1/projects/${SLUG}/audit?limit=1`)).status).toBe(200);
    expect((await srv.call('DELETE', `/v1/projects/${SLUG}`)).status).toBe(204);
  });
});
