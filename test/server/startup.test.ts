import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  assertHostAllowed,
  assertNoMasterKeyInEnv,
  initInstance,
  installShutdownHandlers,
  openDatabase,
  parseMasterKey,
  readMasterKeyFile,
  ServerStartupError,
  startDevServer,
  startServer,
  type DatabaseOptions,
} from '../../src/server/entry/index.js';
import { createTestPgDatabase, type TestPgDatabase } from '../helpers/pg.js';

const quiet = { write: () => undefined };

async function startupError(p: Promise<unknown>): Promise<ServerStartupError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServerStartupError);
  return err as ServerStartupError;
}

describe('master key input', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'krypt-key-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses 64 hex characters, trimming whitespace', () => {
    const hex = 'ab'.repeat(32);
    expect(parseMasterKey(`  ${hex}\n`).toString('hex')).toBe(hex);
    expect(parseMasterKey(hex.toUpperCase()).toString('hex')).toBe(hex);
    expect(() => parseMasterKey('ab'.repeat(31))).toThrow('64 hexadecimal characters (32 bytes); got 62');
    expect(() => parseMasterKey('zz'.repeat(32))).toThrow('only hexadecimal characters');
    expect(() => parseMasterKey('')).toThrow('empty');
  });

  it('reads a key file and explains a missing one', () => {
    const file = join(dir, 'master.key');
    writeFileSync(file, `${'cd'.repeat(32)}\n`, { mode: 0o600 });
    expect(readMasterKeyFile(file).toString('hex')).toBe('cd'.repeat(32));
    expect(() => readMasterKeyFile(join(dir, 'missing.key'))).toThrow(/master key file .*missing\.key does not exist/);
  });

  it('refuses KRYPT_MASTER_KEY in the environment', () => {
    expect(() => assertNoMasterKeyInEnv({ KRYPT_MASTER_KEY: 'x' })).toThrow(/KRYPT_MASTER_KEY is set/);
    expect(() => assertNoMasterKeyInEnv({})).not.toThrow();
  });

  it('refuses a non-loopback host without a TLS proxy', async () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(() => assertHostAllowed(host, false)).not.toThrow();
    expect(() => assertHostAllowed('0.0.0.0', true)).not.toThrow();
    const err = await startupError(startServer({ database: { memory: true }, masterKey: Buffer.alloc(32), host: '0.0.0.0', port: 0 }));
    expect(err.code).toBe('insecure_host');
    expect(err.message).toContain('refusing to listen on 0.0.0.0 without TLS');
  });
});

describe.each(['sqlite', 'postgres'] as const)('instance lifecycle on %s', (dialect) => {
  // A fresh, empty store for each test (dropped after it).
  let database: DatabaseOptions;
  let dir: string | undefined;
  let pgDb: TestPgDatabase | undefined;

  beforeEach(async () => {
    if (dialect === 'postgres') {
      pgDb = await createTestPgDatabase();
      database = { databaseUrl: pgDb.url };
    } else {
      dir = mkdtempSync(join(tmpdir(), 'krypt-data-'));
      database = { dataDir: dir };
    }
  });
  afterEach(async () => {
    await pgDb?.drop();
    pgDb = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('refuses to start an instance that was never initialised', async () => {
    const err = await startupError(startServer({ database, masterKey: Buffer.alloc(32, 1), port: 0, logDestination: quiet }));
    expect(err.code).toBe('not_initialised');
    expect(err.hint).toContain('krypt server init');
  });

  it('initialises once, starts with the right key, refuses a wrong one, keeps data', async () => {
    const init = await initInstance({ database, email: 'ops@example.com' });
    expect(init.masterKey).toMatch(/^[0-9a-f]{64}$/);
    expect(init.token).toMatch(/^krypt_/);
    expect(init.user.email).toBe('ops@example.com');
    const again = await startupError(initInstance({ database }));
    expect(again.code).toBe('already_initialised');

    const wrong = await startupError(startServer({ database, masterKey: Buffer.alloc(32, 2), port: 0, logDestination: quiet }));
    expect(wrong.code).toBe('master_key_mismatch');
    expect(wrong.message).toBe('the master key does not match this instance (key check failed)');

    const server = await startServer({ database, masterKey: parseMasterKey(init.masterKey), port: 0, logDestination: quiet });
    const h = { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' };
    expect((await fetch(`${server.url}/v1/projects`, { method: 'POST', headers: h, body: '{"slug":"kept"}' })).status).toBe(201);
    await fetch(`${server.url}/v1/projects/kept/environments/production/secrets`, { method: 'PATCH', headers: h, body: '{"set":{"A":"persisted"}}' });
    await server.close();

    const restarted = await startServer({ database, masterKey: parseMasterKey(init.masterKey), port: 0, logDestination: quiet });
    const res = await fetch(`${restarted.url}/v1/projects/kept/environments/production/secrets/A`, { headers: h });
    expect(((await res.json()) as { value: string }).value).toBe('persisted');
    await restarted.close();

    if (dir) {
      const kdb = await openDatabase({ dataDir: dir });
      const { sql } = await import('kysely');
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(kdb.db);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
      await kdb.destroy();
    }
  });
});

describe('dev server and shutdown', () => {
  it('starts an in-memory dev instance with a bootstrapped owner key', async () => {
    const dev = await startDevServer({ port: 0, logDestination: quiet });
    expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const me = await fetch(`${dev.url}/v1/me`, { headers: { authorization: `Bearer ${dev.token}` } });
    expect(((await me.json()) as { user: { email: string } }).user.email).toBe('dev@krypt.local');
    const created = await fetch(`${dev.url}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/json' },
      body: '{"slug":"dev-app"}',
    });
    expect(created.status).toBe(201);
    await dev.close();
    await expect(fetch(`${dev.url}/healthz`)).rejects.toThrow();
  });

  it('closes gracefully on SIGTERM', async () => {
    const kdb = await openDatabase({ memory: true });
    const init = await initInstance({ database: kdb });
    const server = await startServer({ database: kdb, masterKey: parseMasterKey(init.masterKey), port: 0, logDestination: quiet });
    const closed = new Promise<void>((resolve) => installShutdownHandlers(server, () => resolve()));
    process.emit('SIGTERM');
    await closed;
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    await kdb.destroy();
  });
});
