import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox } from '../helpers/cli.js';
import { kryptInProcess } from '../helpers/in-process.js';
import { killServerProcesses, startServerProcess } from '../helpers/server-process.js';
import { until } from '../helpers/until.js';

// `krypt server backup`: an online snapshot of a data directory while a real server takes writes,
// restored into a fresh data directory and opened with the same master key.

afterEach(killServerProcesses);


async function patch(url: string, token: string, set: Record<string, string>): Promise<number> {
  const res = await fetch(`${url}/v1/projects/bk/environments/development/secrets`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ set }),
  });
  await res.text();
  return res.status;
}

async function readSecrets(url: string, token: string): Promise<{ revision: number; secrets: Record<string, string> }> {
  const res = await fetch(`${url}/v1/projects/bk/environments/development/secrets`, { headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as { revision: number; secrets: Record<string, string> };
}

describe('krypt server backup', () => {
  it('snapshots a running server under writes; the snapshot opens with the same master key and holds every secret', async () => {
    const box = makeSandbox();
    const run = (args: string[], extraEnv: Record<string, string> = {}) => kryptInProcess(args, { cwd: box.cwd, env: { ...box.env, ...extraEnv } });
    const dataDir = join(box.home, 'data');
    const keyFile = join(box.home, 'master.key');
    const init = await run(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile]);
    expect(init.code).toBe(0);
    const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
    const server = await startServerProcess(['--port', '0', '--data-dir', dataDir, '--master-key-file', keyFile], box.env);
    const created = await fetch(`${server.url}/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'bk' }),
    });
    expect(created.status).toBe(201);
    // a base large enough that the copy takes a moment
    const base = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`BASE_${i}`, `base-secret-${i}-${'x'.repeat(100)}`]));
    expect(await patch(server.url, token, base)).toBe(200);

    // a writer keeps committing one new key at a time while the backup runs
    const acknowledged: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        expect(await patch(server.url, token, { [`W_${i}`]: `written-${i}` })).toBe(200);
        acknowledged.push(`W_${i}`);
      }
    })();
    await until(() => acknowledged.length >= 20, { what: 'twenty acknowledged writes' });
    const ackedBefore = [...acknowledged];
    const out = join(box.home, 'snapshot.db');
    const backup = await run(['server', 'backup', '--data-dir', dataDir, '--out', out, '--json']);
    const ackedAfter = acknowledged.length;
    writing = false;
    await writer;
    expect(backup.code).toBe(0);
    const result = JSON.parse(backup.stdout);
    expect(result).toMatchObject({ file: out, secrets: expect.any(Number), versions: expect.any(Number) });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(acknowledged.length).toBeGreaterThan(ackedBefore.length); // writes went on during the backup

    // never overwrites; PostgreSQL is pointed to pg_dump
    const twice = await run(['server', 'backup', '--data-dir', dataDir, '--out', out]);
    expect([twice.code, twice.stderr]).toEqual([1, expect.stringContaining('already exists; a backup never overwrites a file')]);
    const pgRefused = await run(['server', 'backup', '--out', join(box.home, 'pg.db')], { KRYPT_DATABASE_URL: 'postgres://krypt@127.0.0.1:1/krypt' });
    expect([pgRefused.code, pgRefused.stderr]).toEqual([1, expect.stringContaining('pg_dump --format=custom')]);
    const live = await readSecrets(server.url, token);
    expect(await server.stop()).toBe(0);

    // the snapshot file alone is a complete database: no -wal beside it
    const snap = new Database(out, { readonly: true });
    expect(snap.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(snap.pragma('journal_mode', { simple: true })).toBe('delete');
    snap.close();

    // restore: a new data directory holding only the snapshot, opened with the SAME master key
    const restored = join(box.home, 'restored');
    mkdirSync(restored, { mode: 0o700 });
    copyFileSync(out, join(restored, 'krypt.db'));
    const wrong = join(box.home, 'wrong.key');
    writeFileSync(wrong, 'cd'.repeat(32));
    await expect(startServerProcess(['--port', '0', '--data-dir', restored, '--master-key-file', wrong], box.env)).rejects.toThrow(/master key does not match/);
    const again = await startServerProcess(['--port', '0', '--data-dir', restored, '--master-key-file', keyFile], box.env);
    const back = await readSecrets(again.url, token);
    expect(await again.stop()).toBe(0);

    // every secret written before the backup started, with its value; the snapshot is a prefix of the writes
    for (const [k, v] of Object.entries(base)) expect(back.secrets[k]).toBe(v);
    for (const k of ackedBefore) expect(back.secrets[k]).toBe(`written-${k.slice(2)}`);
    const ws = Object.keys(back.secrets).filter((k) => k.startsWith('W_')).map((k) => Number(k.slice(2))).sort((a, b) => a - b);
    expect(ws).toEqual(Array.from({ length: ws.length }, (_, i) => i));
    // ...of the writes sent before it finished: those acknowledged, plus at most the one in flight
    // (committed, its answer not yet read when the backup exited)
    expect(ws.length).toBeLessThanOrEqual(ackedAfter + 1);
    expect(back.revision).toBe(1 + ws.length);
    expect(result.secrets).toBe(2000 + ws.length);
    for (const [k, v] of Object.entries(back.secrets)) expect(live.secrets[k]).toBe(v);
  });
});
