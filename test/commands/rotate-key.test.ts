import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, makeSandbox } from '../helpers/cli.js';
import { kryptInProcess } from '../helpers/in-process.js';
import { killServerProcesses, startServerProcess } from '../helpers/server-process.js';
import { readMasterKeyFile, startServer } from '../../src/server/entry/index.js';

// `krypt server rotate-key` on a real data directory written by real server processes: a full
// rotation (secrets, history, change-request values), refusals, a tampered row, and SIGKILLs at
// random moments inside the rotation's transaction.

const children: ChildProcess[] = [];
afterEach(killServerProcesses);
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});


/** JSON over HTTP with a bearer token. */
async function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const env = (e: string) => `/v1/projects/rot/environments/${e}`;

/** Everything a key can read back: current values per environment, revealed history of some keys, revealed change requests. */
async function readAll(url: string, token: string, historyKeys: string[]): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const e of ['development', 'production']) out[e] = (await api(url, token, 'GET', `${env(e)}/secrets`)).json;
  for (const k of historyKeys) out[`history:${k}`] = (await api(url, token, 'GET', `${env('development')}/secrets/${k}/history?reveal=true`)).json;
  const crs = (await api(url, token, 'GET', '/v1/projects/rot/change-requests')).json;
  for (const cr of crs.changeRequests) out[`cr:${cr.id}`] = (await api(url, token, 'GET', `/v1/projects/rot/change-requests/${cr.id}?reveal=true`)).json;
  return out;
}

/** Every stored ciphertext and tag, for byte-for-byte comparison (plus the key check). */
function dumpCiphertexts(dataDir: string): string {
  const db = new Database(join(dataDir, 'krypt.db'), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return JSON.stringify([
      db.prepare('SELECT environment_id, key, version, value, tag FROM secrets ORDER BY 1, 2').all(),
      db.prepare('SELECT environment_id, key, version, value, tag FROM secret_versions ORDER BY 1, 2, 3').all(),
      db.prepare('SELECT change_request_id, key, value, tag FROM change_request_items ORDER BY 1, 2').all(),
      db.prepare("SELECT value FROM meta WHERE key = 'key_check'").get(),
    ]);
  } finally {
    db.close();
  }
}

/** An initialised data dir with a project `rot`: `keys` keys in development written `rounds` times, production values and one pending change request. */
async function seed(box: ReturnType<typeof makeSandbox>, keys: number, rounds: number) {
  const dataDir = join(box.home, 'data');
  const oldKey = join(box.home, 'old.key');
  const init = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', oldKey], { cwd: box.cwd, env: box.env });
  expect(init.code).toBe(0);
  const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
  const server = await startServerProcess(['--port', '0', '--data-dir', dataDir, '--master-key-file', oldKey], box.env);
  expect((await api(server.url, token, 'POST', '/v1/projects', { slug: 'rot' })).status).toBe(201);
  for (let round = 1; round <= rounds; round++) {
    const set = Object.fromEntries(Array.from({ length: keys }, (_, i) => [`K${i}`, `value-${i}-round-${round}`]));
    expect((await api(server.url, token, 'PATCH', `${env('development')}/secrets`, { set })).status).toBe(200);
  }
  expect((await api(server.url, token, 'PATCH', `${env('development')}/secrets`, { delete: ['K0'] })).status).toBe(200);
  expect((await api(server.url, token, 'PATCH', `${env('production')}/secrets`, { set: { DB: 'prod-db-secret' } })).status).toBe(200);
  const code = (await api(server.url, token, 'POST', '/v1/projects/rot/invites', { email: 'member@example.com', role: 'member' })).json.code;
  const member = (await api(server.url, '', 'POST', '/v1/invites/redeem', { code })).json.token as string;
  const cr = await api(server.url, member, 'PATCH', `${env('production')}/secrets`, { set: { DB: 'proposed-db-secret', NEW: 'proposed-new-secret' } });
  expect(cr.status).toBe(202);
  const history = ['K0', 'K1', `K${keys - 1}`];
  const expected = await readAll(server.url, token, history);
  expect(await server.stop()).toBe(0);
  return { dataDir, oldKey, token, history, expected };
}

describe('krypt server rotate-key', () => {
  // One store through refusals and two rotations, each a step of its own sharing it.
  describe('re-encrypts secrets, history and change-request values under a new key; refuses a running server, a wrong key and a tampered row', () => {
    const box = makeSandbox();
    const run = (args: string[], input?: string) => kryptInProcess(args, { cwd: box.cwd, env: box.env, ...(input ? { input } : {}) });
    let seeded: Awaited<ReturnType<typeof seed>>;
    let before: string;
    const newKey = join(box.home, 'new.key');
    const latest = join(box.home, 'latest.key');
    const rotate = (extra: string[] = [], input?: string) => run(['server', 'rotate-key', '--data-dir', seeded.dataDir, ...extra], input);

    beforeAll(async () => {
      seeded = await seed(box, 5, 3);
      before = dumpCiphertexts(seeded.dataDir);
    });

    it('refuses while a server runs, with a wrong key, and with KRYPT_MASTER_KEY set', async () => {
      const { dataDir, oldKey, expected } = seeded;
      expect(JSON.stringify(expected)).toContain('proposed-new-secret');
      expect(JSON.stringify(expected)).toContain('value-1-round-1');
      // a running server holds the store: refused, nothing written
      const server = await startServerProcess(['--port', '0', '--data-dir', dataDir, '--master-key-file', oldKey], box.env);
      const busy = await rotate(['--master-key-file', oldKey, '--new-master-key-out', newKey]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/in use by another process \(is the server still running\?\)/);
      expect(await server.stop()).toBe(0);

      const wrong = join(box.home, 'wrong.key');
      writeFileSync(wrong, 'ab'.repeat(32));
      const mismatch = await rotate(['--master-key-file', wrong, '--new-master-key-out', newKey]);
      expect([mismatch.code, mismatch.stderr]).toEqual([1, expect.stringContaining('the master key does not match this instance')]);
      const inEnv = await kryptInProcess(['server', 'rotate-key', '--data-dir', dataDir], { cwd: box.cwd, env: { ...box.env, KRYPT_MASTER_KEY: 'ab'.repeat(32) } });
      expect([inEnv.code, inEnv.stderr]).toEqual([1, expect.stringContaining('KRYPT_MASTER_KEY is set')]);

    });

    it('aborts on a tampered history row: nothing changes, no key file appears', async () => {
      const { dataDir, oldKey } = seeded;
      const db = new Database(join(dataDir, 'krypt.db'));
      const row = db.prepare("SELECT tag FROM secret_versions WHERE key = 'K2' AND version = 1").get() as { tag: string };
      db.prepare("UPDATE secret_versions SET tag = ? WHERE key = 'K2' AND version = 1").run('0'.repeat(64));
      db.close(); // any open connection, even idle, makes rotate-key refuse the store as in use
      const tampered = await rotate(['--master-key-file', oldKey, '--new-master-key-out', newKey]);
      expect(tampered.code).toBe(1);
      expect(tampered.stderr).toContain('Error: history version 1 of K2 in rot/development failed its integrity check under the current master key; rotation aborted');
      expect(existsSync(newKey)).toBe(false);
      const fix = new Database(join(dataDir, 'krypt.db'));
      fix.prepare("UPDATE secret_versions SET tag = ? WHERE key = 'K2' AND version = 1").run(row.tag);
      fix.close();
      expect(dumpCiphertexts(dataDir)).toBe(before);

    });

    it('aborts on a tampered audit entry: re-keying the chain would hide the tampering', async () => {
      const { dataDir, oldKey } = seeded;
      const audit = new Database(join(dataDir, 'krypt.db'));
      const entry = audit.prepare('SELECT id, keys FROM audit_log ORDER BY id LIMIT 1 OFFSET 2').get() as { id: number; keys: string };
      audit.prepare("UPDATE audit_log SET keys = '[\"EDITED\"]' WHERE id = ?").run(entry.id);
      audit.close();
      const chainBroken = await rotate(['--master-key-file', oldKey, '--new-master-key-out', newKey]);
      expect(chainBroken.code).toBe(1);
      expect(chainBroken.stderr).toContain(`Error: the audit chain is broken at entry #${entry.id}`);
      expect(existsSync(newKey)).toBe(false);
      const unedit = new Database(join(dataDir, 'krypt.db'));
      unedit.prepare('UPDATE audit_log SET keys = ? WHERE id = ?').run(entry.keys, entry.id);
      unedit.close();
      expect(dumpCiphertexts(dataDir)).toBe(before);

    });

    it('rotation 1: key from a file, new key to a new 0600 file, --json result; every ciphertext changed', async () => {
      const { dataDir, oldKey } = seeded;
      const first = await rotate(['--master-key-file', oldKey, '--new-master-key-out', newKey, '--json']);
      expect(first.code).toBe(0);
      // 5 keys x 3 rounds of history + 4 current development values + 1 production value and its version + 2 proposed values
      expect(JSON.parse(first.stdout)).toEqual({ masterKeyFile: newKey, reencrypted: { secrets: 5, versions: 16, changeRequestValues: 2, deliveries: 0, webhookSecrets: 0 } });
      expect(statSync(newKey).mode & 0o777).toBe(0o600);
      expect(readFileSync(newKey, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      const again = await rotate(['--master-key-file', newKey, '--new-master-key-out', newKey]);
      expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('already exists')]);

      // every stored ciphertext and tag changed, in the same `iv:ct` form
      const after = JSON.parse(dumpCiphertexts(dataDir));
      const old = JSON.parse(before);
      for (let t = 0; t < 3; t++) {
        expect(after[t]).toHaveLength(old[t].length);
        after[t].forEach((r: { value: string | null; tag: string | null }, i: number) => {
          if (r.value === null) return;
          expect(r.value).toMatch(/^[0-9a-f]{32}:[0-9a-f]+$/);
          expect(r.value).not.toBe(old[t][i].value);
          expect(r.tag).not.toBe(old[t][i].tag);
        });
      }

    });

    it('rotation 2: current key on standard input, new key printed once; only the newest key opens the store and verifies the chain', async () => {
      const { dataDir, oldKey, token, history, expected } = seeded;
      const second = await rotate([], readFileSync(newKey, 'utf8'));
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/^master-key: [0-9a-f]{64}\n$/);
      expect(second.stderr).toContain('Rotated: 5 secrets, 16 history versions, 2 change-request values re-encrypted.');
      writeFileSync(latest, second.stdout.slice('master-key: '.length), { mode: 0o600 });

      for (const stale of [oldKey, newKey]) {
        await expect(startServerProcess(['--port', '0', '--data-dir', dataDir, '--master-key-file', stale], box.env)).rejects.toThrow(/master key does not match this instance/);
      }
      const rotated = await startServerProcess(['--port', '0', '--data-dir', dataDir, '--master-key-file', latest], box.env);
      expect(await readAll(rotated.url, token, history)).toEqual(expected);
      // and through the CLI: a change-request value revealed
      expect((await kryptInProcess(['login', '--api-url', rotated.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: token })).code).toBe(0);
      const shown = await run(['change-requests', 'show', '1', '-p', 'rot', '--reveal']);
      expect([shown.code, shown.stdout]).toEqual([0, expect.stringContaining('proposed-new-secret')]);
      expect((await run(['get', '-p', 'rot', 'K1'])).stdout).toBe('value-1-round-3\n');
      expect(await rotated.stop()).toBe(0);
      // the audit chain was re-keyed with each rotation: it verifies under the newest key only
      const verified = await run(['server', 'verify-audit', '--data-dir', dataDir, '--master-key-file', latest]);
      expect([verified.code, verified.stderr]).toEqual([0, expect.stringMatching(/^Audit chain intact: \d+ entries\n$/)]);
      const stale = await run(['server', 'verify-audit', '--data-dir', dataDir, '--master-key-file', oldKey]);
      expect([stale.code, stale.stderr]).toEqual([1, expect.stringContaining('the master key does not match this instance')]);
    });
  });

  // One store, killed five times and then rotated for good: each a step of its own (sharing the
  // store), so no single test waits on five processes, five servers and a full rotation in a row.
  describe('SIGKILLed at random moments inside its transaction, leaves the old key fully working (then a full rotation succeeds)', () => {
    const box = makeSandbox();
    let seeded: Awaited<ReturnType<typeof seed>>;
    let before: string;
    const outcomes: string[] = [];

    beforeAll(async () => {
      // 1000 keys x 3 rounds plus one production value: 1000 current values (K0 deleted), 3001 versions (a tombstone has none), 2 proposed values
      seeded = await seed(box, 1000, 3);
      before = dumpCiphertexts(seeded.dataDir);
    });

    it.each([1, 2, 3, 4, 5])('kill %i: nothing committed, the old key reads everything', async (i) => {
      const { dataDir, oldKey, token, history, expected } = seeded;
      const out = join(box.home, `new-${i}.key`);
      const child = spawn(process.execPath, [BIN, 'server', 'rotate-key', '--data-dir', dataDir, '--master-key-file', oldKey, '--new-master-key-out', out], {
        env: box.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
      // The progress line is written once the transaction holds the store; kill at a random moment after it.
      await new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (c: Buffer) => {
          err += c.toString();
          if (err.includes('Re-encrypting 4003 stored values in one transaction...')) resolve();
        });
        void exited.then(() => reject(new Error(`rotate-key exited before its transaction: ${err}`)));
      });
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      // nothing committed: every ciphertext, tag and the key check are byte-for-byte the old ones
      expect(dumpCiphertexts(dataDir)).toBe(before);
      // ...and the old key reads everything back (a server in this process: the start-up path of a
      // real one is covered below and above).
      const server = await startServer({ database: { dataDir }, masterKey: readMasterKeyFile(oldKey), port: 0, logLevel: 'fatal' });
      expect(await readAll(server.url, token, history)).toEqual(expected);
      await server.close();
      if (existsSync(out)) {
        outcomes.push('killed before commit, new key already saved');
        await expect(startServerProcess(['--port', '0', '--data-dir', dataDir, '--master-key-file', out], box.env)).rejects.toThrow(/master key does not match this instance/);
        rmSync(out);
      } else outcomes.push('killed before commit');
    });

    it('then a full rotation succeeds, and only the new key opens the store', async () => {
      expect(outcomes).toHaveLength(5);
      const { dataDir, oldKey, token, history, expected } = seeded;
      const out = join(box.home, 'final.key');
      const done = await kryptInProcess(['server', 'rotate-key', '--data-dir', dataDir, '--master-key-file', oldKey, '--new-master-key-out', out], { cwd: box.cwd, env: box.env, timeoutMs: 60_000 });
      expect([done.code, done.stderr]).toEqual([0, expect.stringContaining('Rotated: 1000 secrets, 3001 history versions, 2 change-request values re-encrypted.')]);
      await expect(startServerProcess(['--port', '0', '--data-dir', dataDir, '--master-key-file', oldKey], box.env)).rejects.toThrow(/master key does not match this instance/);
      const server = await startServerProcess(['--port', '0', '--data-dir', dataDir, '--master-key-file', out], box.env);
      expect(await readAll(server.url, token, history)).toEqual(expected);
      expect(await server.stop()).toBe(0);
    });
  });
});
