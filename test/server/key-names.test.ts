import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Key names that are also names of Object.prototype's properties are ordinary keys: they can be
// set, read, listed, deleted and proposed in change requests (an `in` check sees inherited names).

const NAMES = ['toString', 'constructor', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__'];

describe.each(['sqlite', 'postgres'] as const)('prototype-named keys on %s', (dialect) => {
  let srv: TestServer;
  const env = '/v1/projects/app/environments/development';

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    expect((await srv.call('POST', '/v1/projects', { body: { slug: 'app' } })).status).toBe(201);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('set, read, delete each of them', async () => {
    const set = await srv.call('PATCH', `${env}/secrets`, { body: { set: Object.fromEntries(NAMES.map((n) => [n, `v-${n}`])) } });
    expect(set.status, set.text).toBe(200);
    expect((await srv.call('GET', `${env}/secrets`)).json.secrets).toEqual(Object.fromEntries(NAMES.map((n) => [n, `v-${n}`])));
    for (const name of NAMES) expect((await srv.call('GET', `${env}/secrets/${name}`)).json.value).toBe(`v-${name}`);
    for (const name of NAMES) {
      const del = await srv.call('PATCH', `${env}/secrets`, { body: { delete: [name] } });
      expect(del.status, `${name}: ${del.text}`).toBe(200);
      expect(del.json.deleted).toEqual([name]);
    }
    expect((await srv.call('GET', `${env}/secrets`)).json.secrets).toEqual({});
  });

  it('deleting an absent one is a no-op, and set+delete of the same one is still refused', async () => {
    const absent = await srv.call('PATCH', `${env}/secrets`, { body: { delete: ['toString', 'constructor'] } });
    expect(absent.status, absent.text).toBe(200);
    expect(absent.json.deleted).toEqual([]);
    const both = await srv.call('PATCH', `${env}/secrets`, { body: { set: { valueOf: 'x' }, delete: ['valueOf'] } });
    expect(both.status).toBe(400);
    expect(both.json.error.message).toContain('a key cannot be both set and deleted');
  });
});
