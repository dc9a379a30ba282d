import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { KryptError } from '../../src/lib/errors.js';
import {
  cacheDir,
  cacheFile,
  cacheKeyFromConfig,
  clearCache,
  describeAge,
  newCacheKey,
  readCachedEnvironment,
  writeCachedEnvironment,
  type CachedEnvironment,
} from '../../src/lib/cache/index.js';

const root = mkdtempSync(join(tmpdir(), 'krypt-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
// Each test gets a config directory that does not exist yet, as on a first run.
const freshConfigDir = (): string => join(root, `config-${++dirs}`);

const API = 'https://krypt.example.com';
const entry = (over: Partial<CachedEnvironment> = {}): CachedEnvironment => ({
  apiUrl: API,
  project: 'shop',
  environment: 'production',
  revision: 42,
  secrets: { DATABASE_URL: 'postgres://app:hunter2-very-secret@db/shop', STRIPE_KEY: 'sk_live_Zx9€🌍', EMPTY: '' },
  savedAt: '2025-03-01T10:00:00.000Z',
  ...over,
});
const key = (): Buffer => cacheKeyFromConfig({ cacheKey: newCacheKey() }) as Buffer;

function expectKryptError(fn: () => unknown, code: string): KryptError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KryptError);
    expect((err as KryptError).code).toBe(code);
    return err as KryptError;
  }
  throw new Error(`expected KryptError ${code}, got no error`);
}

describe('cache key', () => {
  it('is 32 random bytes in base64url, read back from the config', () => {
    const text = newCacheKey();
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newCacheKey()).not.toBe(text);
    const k = cacheKeyFromConfig({ cacheKey: text });
    expect(k?.length).toBe(32);
    expect(k?.toString('base64url')).toBe(text);
  });

  it('is undefined when absent or malformed', () => {
    expect(cacheKeyFromConfig({})).toBeUndefined();
    expect(cacheKeyFromConfig({ cacheKey: '' })).toBeUndefined();
    expect(cacheKeyFromConfig({ cacheKey: 'short' })).toBeUndefined();
    expect(cacheKeyFromConfig({ cacheKey: `${newCacheKey()}A` })).toBeUndefined();
    expect(cacheKeyFromConfig({ cacheKey: Buffer.alloc(32).toString('base64') })).toBeUndefined(); // padded base64
  });
});

describe('environment cache', () => {
  it('round-trips an environment', () => {
    const dir = freshConfigDir();
    const k = key();
    expect(readCachedEnvironment(dir, k, API, 'shop', 'production')).toBeUndefined();
    writeCachedEnvironment(dir, k, entry());
    expect(readCachedEnvironment(dir, k, API, 'shop', 'production')).toEqual(entry());
    writeCachedEnvironment(dir, k, entry({ revision: 43, secrets: { A: 'b' } }));
    expect(readCachedEnvironment(dir, k, API, 'shop', 'production')).toEqual(entry({ revision: 43, secrets: { A: 'b' } }));
    expect(readCachedEnvironment(dir, k, API, 'shop', 'staging')).toBeUndefined();
  });

  it('round-trips arbitrary secrets and names', () => {
    const dir = freshConfigDir();
    const k = key();
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1 }), fc.string({ unit: 'binary' })),
        fc.string({ unit: 'binary', minLength: 1 }),
        fc.string({ unit: 'binary', minLength: 1 }),
        (secrets, project, environment) => {
          const e = entry({ project, environment, secrets });
          writeCachedEnvironment(dir, k, e);
          expect(readCachedEnvironment(dir, k, API, project, environment)).toEqual(e);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('creates the directory 0700 and the file 0600, under <configDir>/cache with a hashed name', () => {
    const dir = freshConfigDir();
    writeCachedEnvironment(dir, key(), entry());
    const file = cacheFile(dir, API, 'shop', 'production');
    expect(file.startsWith(cacheDir(dir))).toBe(true);
    expect(cacheDir(dir)).toBe(join(dir, 'cache'));
    expect(basename(file)).toMatch(/^[0-9a-f]{64}\.bin$/);
    expect(statSync(cacheDir(dir)).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(cacheDir(dir))).toEqual([basename(file)]); // no temp file left behind
  });

  it('tightens an existing cache directory to 0700', () => {
    const dir = freshConfigDir();
    mkdirSync(cacheDir(dir), { recursive: true, mode: 0o755 });
    writeCachedEnvironment(dir, key(), entry());
    expect(statSync(cacheDir(dir)).mode & 0o777).toBe(0o700);
  });

  it('writes no secret value, key, project or environment name in clear', () => {
    const dir = freshConfigDir();
    writeCachedEnvironment(dir, key(), entry());
    const bytes = readFileSync(cacheFile(dir, API, 'shop', 'production'));
    for (const needle of ['hunter2-very-secret', 'sk_live_Zx9', 'DATABASE_URL', 'STRIPE_KEY', 'production', 'krypt.example.com']) {
      expect(bytes.includes(needle), needle).toBe(false);
      expect(bytes.includes(Buffer.from(needle).toString('base64').slice(0, 8)), `${needle} (base64)`).toBe(false);
    }
  });

  it('uses a fresh IV for every write', () => {
    const dir = freshConfigDir();
    const k = key();
    const file = cacheFile(dir, API, 'shop', 'production');
    writeCachedEnvironment(dir, k, entry());
    const first = readFileSync(file, 'utf8');
    writeCachedEnvironment(dir, k, entry());
    expect(readFileSync(file, 'utf8')).not.toBe(first);
  });

  it('reports cache_corrupt when any single byte of the file changes', () => {
    const dir = freshConfigDir();
    const k = key();
    writeCachedEnvironment(dir, k, entry({ secrets: { A: 'x' } }));
    const file = cacheFile(dir, API, 'shop', 'production');
    const original = readFileSync(file);
    for (let i = 0; i < original.length; i++) {
      for (const flip of [0x01, 0x20]) {
        const tampered = Buffer.from(original);
        tampered[i] = (tampered[i] as number) ^ flip;
        writeFileSync(file, tampered);
        const err = expectKryptError(() => readCachedEnvironment(dir, k, API, 'shop', 'production'), 'cache_corrupt');
        expect(err.hint).toContain('krypt cache clear');
      }
    }
    writeFileSync(file, original);
    expect(readCachedEnvironment(dir, k, API, 'shop', 'production')?.secrets).toEqual({ A: 'x' });
  });

  it('reports cache_corrupt for truncated, empty, non-JSON and future-version files', () => {
    const dir = freshConfigDir();
    const k = key();
    writeCachedEnvironment(dir, k, entry());
    const file = cacheFile(dir, API, 'shop', 'production');
    const original = readFileSync(file, 'utf8');
    const envelope = JSON.parse(original) as Record<string, unknown>;
    for (const text of ['', 'garbage', original.slice(0, original.length - 10), '[]', 'null', JSON.stringify({ ...envelope, v: 2 }) + '\n']) {
      writeFileSync(file, text);
      expectKryptError(() => readCachedEnvironment(dir, k, API, 'shop', 'production'), 'cache_corrupt');
    }
  });

  it('reports cache_corrupt when the key is not the one the copy was sealed with', () => {
    const dir = freshConfigDir();
    writeCachedEnvironment(dir, key(), entry());
    expectKryptError(() => readCachedEnvironment(dir, key(), API, 'shop', 'production'), 'cache_corrupt');
  });

  it('reports cache_corrupt when a copy is moved to another project, environment or server name', () => {
    const dir = freshConfigDir();
    const k = key();
    writeCachedEnvironment(dir, k, entry());
    const source = cacheFile(dir, API, 'shop', 'production');
    for (const [api, project, env] of [
      [API, 'other', 'production'],
      [API, 'shop', 'staging'],
      ['https://evil.example.com', 'shop', 'production'],
    ] as const) {
      copyFileSync(source, cacheFile(dir, api, project, env));
      expectKryptError(() => readCachedEnvironment(dir, k, api, project, env), 'cache_corrupt');
    }
    renameSync(source, cacheFile(dir, API, 'shop2', 'production'));
    expectKryptError(() => readCachedEnvironment(dir, k, API, 'shop2', 'production'), 'cache_corrupt');
  });

  it('reports cache_corrupt when the copy is a directory', () => {
    const dir = freshConfigDir();
    mkdirSync(cacheFile(dir, API, 'shop', 'production'), { recursive: true });
    expectKryptError(() => readCachedEnvironment(dir, key(), API, 'shop', 'production'), 'cache_corrupt');
  });

  it('refuses a key that is not 32 bytes', () => {
    const dir = freshConfigDir();
    expectKryptError(() => writeCachedEnvironment(dir, Buffer.alloc(16), entry()), 'cache_key_invalid');
    expectKryptError(() => readCachedEnvironment(dir, Buffer.alloc(31), API, 'shop', 'production'), 'cache_key_invalid');
  });

  it('clearCache deletes the copies and returns how many', () => {
    const dir = freshConfigDir();
    expect(clearCache(dir)).toBe(0);
    const k = key();
    for (const env of ['development', 'staging', 'production']) writeCachedEnvironment(dir, k, entry({ environment: env }));
    writeFileSync(join(cacheDir(dir), '.0123abcd.tmp'), 'interrupted write');
    writeFileSync(join(cacheDir(dir), 'README'), 'not ours');
    expect(clearCache(dir)).toBe(3);
    expect(readdirSync(cacheDir(dir))).toEqual(['README']);
    expect(readCachedEnvironment(dir, k, API, 'shop', 'production')).toBeUndefined();
    expect(clearCache(dir)).toBe(0);
  });
});

describe('describeAge', () => {
  const saved = '2025-03-01T10:00:00.000Z';
  const at = (ms: number): Date => new Date(Date.parse(saved) + ms);
  const MIN = 60_000;
  it.each([
    [0, 'less than 1 min'],
    [59_999, 'less than 1 min'],
    [-5 * MIN, 'less than 1 min'],
    [MIN, '1 min'],
    [3 * MIN + 59_000, '3 min'],
    [60 * MIN, '1 h'],
    [125 * MIN, '2 h 5 min'],
    [24 * 60 * MIN, '1 day'],
    [28 * 60 * MIN + 59 * MIN, '1 day 4 h'],
    [3 * 24 * 60 * MIN, '3 days'],
    [(2 * 24 + 1) * 60 * MIN, '2 days 1 h'],
  ])('%d ms → %s', (ms, text) => {
    expect(describeAge(saved, at(ms))).toBe(text);
  });
  it('says unknown for an unparseable time', () => {
    expect(describeAge('yesterday', new Date())).toBe('unknown');
  });
});
