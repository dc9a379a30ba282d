import { createDecipheriv } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeKeyCheck,
  decryptValue,
  deriveKeys,
  encryptValue,
  IntegrityError,
  keyCheckMatches,
} from '../../src/server/crypto/value-crypto.js';
import { generateMasterKey } from '../../src/server/crypto/master-key.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ctx = { projectId: 'p1', environment: 'development', key: 'API_KEY', version: 1 };

describe('value crypto (pure)', () => {
  const keys = deriveKeys(generateMasterKey());

  it('derives distinct 32-byte keys', () => {
    expect(keys.encKey).toHaveLength(32);
    expect(keys.encKey.equals(keys.macKey)).toBe(false);
    expect(keys.encKey.equals(keys.checkKey)).toBe(false);
    expect(keys.macKey.equals(keys.checkKey)).toBe(false);
    expect(deriveKeys(Buffer.alloc(32, 7)).encKey.equals(deriveKeys(Buffer.alloc(32, 7)).encKey)).toBe(true);
  });

  it('round-trips and uses a fresh IV each time', () => {
    const a = encryptValue(keys, ctx, 'same value');
    const b = encryptValue(keys, ctx, 'same value');
    expect(a.value).not.toBe(b.value);
    expect(a.value).toMatch(/^[0-9a-f]{32}:[0-9a-f]+$/);
    expect(a.tag).toMatch(/^[0-9a-f]{64}$/);
    expect(decryptValue(keys, ctx, a)).toBe('same value');
    expect(decryptValue(keys, ctx, encryptValue(keys, ctx, ''))).toBe('');
  });

  it('binds the tag to project, environment, key and version', () => {
    const stored = encryptValue(keys, ctx, 'bound');
    for (const other of [
      { ...ctx, projectId: 'p2' },
      { ...ctx, environment: 'production' },
      { ...ctx, key: 'OTHER' },
      { ...ctx, version: 2 },
    ]) {
      expect(() => decryptValue(keys, other, stored)).toThrow(IntegrityError);
    }
    expect(() => decryptValue(deriveKeys(generateMasterKey()), ctx, stored)).toThrow(IntegrityError);
    expect(() => decryptValue(keys, ctx, { ...stored, tag: 'zz' })).toThrow('stored value failed its integrity check');
  });

  it('computes a key check that only the same master key matches', () => {
    const check = computeKeyCheck(keys);
    expect(check).toMatch(/^[0-9a-f]{64}$/);
    expect(keyCheckMatches(keys, check)).toBe(true);
    expect(keyCheckMatches(deriveKeys(generateMasterKey()), check)).toBe(false);
    expect(keyCheckMatches(keys, 'not hex')).toBe(false);
  });
});

describe.each(['sqlite', 'postgres'] as const)('stored values on %s', (dialect) => {
  let srv: TestServer;
  const auth = () => ({ authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' });
  const base = () => `${srv.url}/v1/projects/crypto/environments/staging/secrets`;

  async function storedRow(key: string) {
    return srv.db
      .selectFrom('secrets')
      .innerJoin('environments', 'environments.id', 'secrets.environment_id')
      .innerJoin('projects', 'projects.id', 'environments.project_id')
      .select(['secrets.value', 'secrets.tag', 'secrets.version', 'secrets.environment_id', 'projects.id as project_id'])
      .where('projects.slug', '=', 'crypto')
      .where('secrets.key', '=', key)
      .executeTakeFirstOrThrow();
  }

  beforeAll(async () => {
    srv = await startTestServer({ dialect });
    await fetch(`${srv.url}/v1/projects`, { method: 'POST', headers: auth(), body: JSON.stringify({ slug: 'crypto' }) });
    const res = await fetch(base(), {
      method: 'PATCH',
      headers: auth(),
      body: JSON.stringify({ set: { PLAIN: 'decrypt me ✓', TAMPER_V: 'tamper-value', TAMPER_T: 'tamper-tag', TWIN_A: 'twin', TWIN_B: 'twin' } }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('stores iv:ct in lowercase hex that plain AES-256-CBC decrypts', async () => {
    const row = await storedRow('PLAIN');
    expect(row.value).toMatch(/^[0-9a-f]{32}:[0-9a-f]+$/);
    const [ivHex, ctHex] = row.value.split(':') as [string, string];
    expect(Buffer.from(ivHex, 'hex')).toHaveLength(16);
    const { encKey } = deriveKeys(Buffer.from(srv.masterKey, 'hex'));
    const decipher = createDecipheriv('aes-256-cbc', encKey, Buffer.from(ivHex, 'hex'));
    const plain = Buffer.concat([decipher.update(Buffer.from(ctHex, 'hex')), decipher.final()]).toString('utf8');
    expect(plain).toBe('decrypt me ✓');
    const a = await storedRow('TWIN_A');
    const b = await storedRow('TWIN_B');
    expect(a.value).not.toBe(b.value);
    const dump = JSON.stringify(await srv.db.selectFrom('secrets').selectAll().execute());
    expect(dump).not.toContain('tamper-value');
    expect(dump).not.toContain('decrypt me');
  });

  it.each([
    ['value', 'TAMPER_V'],
    ['tag', 'TAMPER_T'],
  ] as const)('fails cleanly when one byte of the stored %s is flipped', async (field, key) => {
    const row = await storedRow(key);
    const original = row[field];
    const i = field === 'value' ? 40 : 10;
    const flipped = original.slice(0, i) + (original[i] === '0' ? '1' : '0') + original.slice(i + 1);
    await srv.db.updateTable('secrets').set({ [field]: flipped }).where('environment_id', '=', row.environment_id).where('key', '=', key).execute();
    // the single read of that key fails, naming the key; the bulk read leaves it out and names it
    const res = await fetch(`${base()}/${key}`, { headers: auth() });
    const text = await res.text();
    expect(res.status).toBe(500);
    const body = JSON.parse(text);
    expect(body.error.code).toBe('internal');
    expect(body.error.message).toBe(`the stored value of ${key} in crypto/staging (version 1) failed its integrity check`);
    expect(text).not.toContain('tamper-');
    expect(text).not.toMatch(/\.ts:|\.js:|node_modules|stack/);
    const bulk = await fetch(base(), { headers: auth() });
    const bulkText = await bulk.text();
    expect(bulk.status).toBe(200);
    expect(JSON.parse(bulkText).damaged).toEqual([key]);
    expect(Object.keys(JSON.parse(bulkText).secrets)).not.toContain(key);
    expect(bulkText).not.toContain(key === 'TAMPER_V' ? 'tamper-value' : 'tamper-tag');
    await srv.db.updateTable('secrets').set({ [field]: original }).where('environment_id', '=', row.environment_id).where('key', '=', key).execute();
    const ok = await fetch(`${base()}/${key}`, { headers: auth() });
    expect(((await ok.json()) as { value: string }).value).toBe(key === 'TAMPER_V' ? 'tamper-value' : 'tamper-tag');
  });
});
