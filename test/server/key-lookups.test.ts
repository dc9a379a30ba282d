import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiToken } from '../../src/server/crypto/api-token.js';
import { batchedPerTurn } from '../../src/server/services/turn-batch.js';
import { findApiKeysWithAccess, findApiKeyWithAccess, type KeyAccessLookup } from '../../src/server/store/api-keys-store.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// On PostgreSQL the key lookups of requests read in the same loop turn go to the store as one
// query (findApiKeysWithAccess, batched by batchedPerTurn). Each lookup in a batch must get what
// it gets alone, whatever else is in the batch.

describe('key lookups in one query on postgres', () => {
  let srv: TestServer;
  let member: string;

  beforeAll(async () => {
    srv = await startTestServer({ dialect: 'postgres' });
    for (const slug of ['alpha', 'beta']) expect((await srv.call('POST', '/v1/projects', { body: { slug } })).status).toBe(201);
    const invite = await srv.call('POST', '/v1/projects/beta/invites', { body: { email: 'member@example.com', role: 'member' } });
    const joined = await srv.call('POST', '/v1/invites/redeem', { token: null, body: { code: invite.json.code } });
    expect(joined.status).toBe(201);
    member = joined.json.token;
    expect((await srv.call('PATCH', '/v1/projects/beta/environments/staging/secrets', { body: { set: { A: '1' } } })).status).toBe(200);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('answers every lookup of a batch as it answers it alone, in the order asked', async () => {
    const owner = hashApiToken(srv.token);
    const memberHash = hashApiToken(member);
    const lookups: KeyAccessLookup[] = [
      { hash: memberHash, slug: 'alpha', env: 'development' }, // not a member of alpha
      { hash: owner, slug: 'alpha', env: 'production' },
      { hash: hashApiToken(`krypt_${'u'.repeat(43)}`), slug: 'alpha', env: 'development' }, // no such key
      { hash: memberHash, slug: 'beta', env: 'staging' },
      { hash: owner, slug: 'beta', env: 'staging' },
      { hash: owner, slug: 'no-such-project', env: 'development' },
      { hash: owner, slug: 'beta', env: 'not-an-env' },
      { hash: memberHash, slug: 'beta', env: 'staging' }, // the same lookup twice
    ];
    const alone = await Promise.all(lookups.map((l) => findApiKeyWithAccess(srv.db, l.hash, l.slug, l.env)));
    expect(alone.map((a) => (a === undefined ? 'no key' : (a.access?.role ?? 'no access')))).toEqual(['no access', 'owner', 'no key', 'member', 'owner', 'no access', 'owner', 'member']);
    expect(alone[4]?.access?.environment?.revision).toBe(1);
    expect(alone[6]?.access?.environment).toBeNull();
    expect(await findApiKeysWithAccess(srv.db, lookups)).toEqual(alone);
    expect(await findApiKeysWithAccess(srv.db, [...lookups].reverse())).toEqual([...alone].reverse());
  });
});

describe('batchedPerTurn', () => {
  it('answers the calls of one turn with one load, each its own result; a failed load fails each of its calls', async () => {
    const loads: number[][] = [];
    const twice = batchedPerTurn(async (args: readonly number[]) => {
      loads.push([...args]);
      if (args.includes(13)) throw new Error('unlucky batch');
      return args.map((n) => n * 2);
    }, 3);
    expect(await Promise.all([1, 2, 3, 4, 5].map(twice))).toEqual([2, 4, 6, 8, 10]);
    expect(loads).toEqual([[1, 2, 3], [4, 5]]);
    const settled = await Promise.allSettled([twice(12), twice(13), twice(14)]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await twice(7)).toBe(14);
    expect(loads.at(-1)).toEqual([7]);
  });
});
