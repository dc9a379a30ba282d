import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KryptError } from '../../src/lib/errors.js';
import { superviseWithReload } from '../../src/lib/process/supervise.js';
import { watchRevisions } from '../../src/lib/watch/index.js';
import { krypt, makeSandbox } from '../helpers/cli.js';
import { createTestPgDatabase, type TestPgDatabase } from '../helpers/pg.js';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { until } from '../helpers/until.js';

// Live reload across replicas: two real `krypt server start` processes on ONE PostgreSQL database.
// A write through replica A reaches a watcher connected to replica B (LISTEN/NOTIFY), the watcher
// survives B restarting, and a supervised program is restarted with the new value.
// Needs `npm run build` (npm test does it first).

let pgDb: TestPgDatabase;
const box = makeSandbox();
const keyFile = join(box.home, 'master.key');
let token: string;

function startReplica(port = 0): Promise<ServerProcess> {
  return startServerProcess(['--database-url', pgDb.url, '--master-key-file', keyFile, '--port', String(port)], box.env);
}

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  pgDb = await createTestPgDatabase();
  const init = await krypt(['server', 'init', '--database-url', pgDb.url, '--master-key-out', keyFile], { cwd: box.cwd, env: box.env });
  expect(init.code).toBe(0);
  token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
});

afterAll(async () => {
  killServerProcesses();
  await pgDb?.drop();
});

describe('krypt run --watch across two server replicas on one PostgreSQL database', () => {
  it('a watcher on replica B sees a write made through replica A, and keeps watching across B restarting', async () => {
    const [a, b] = await Promise.all([startReplica(), startReplica()]);
    expect(a.url).not.toBe(b.url);
    expect((await api(a.url, 'POST', '/v1/projects', { slug: 'shop' })).status).toBe(201);

    const seen: number[] = [];
    const drops: KryptError[] = [];
    const stop = new AbortController();
    const watching = watchRevisions({
      apiUrl: b.url,
      token,
      project: 'shop',
      environment: 'development',
      signal: stop.signal,
      onRevision: (rev) => void seen.push(rev),
      onDisconnect: (err) => void drops.push(err),
      backoff: { initialMs: 100, maxMs: 500 },
    });
    await until(() => seen.length === 1, { what: 'the initial revision from B' });
    expect(seen).toEqual([0]);

    expect((await api(a.url, 'PATCH', '/v1/projects/shop/environments/development/secrets', { set: { GREETING: 'hello' } })).json.revision).toBe(1);
    await until(() => seen.includes(1), { what: 'revision 1 (written through A) on the watcher connected to B' });
    // Other environments do not reach this watcher.
    expect((await api(a.url, 'PATCH', '/v1/projects/shop/environments/staging/secrets', { set: { X: 'y' } })).status).toBe(200);

    // B goes away: the watcher retries with backoff; a write made meanwhile is seen once B is back.
    const port = new URL(b.url).port;
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    await until(() => drops.length >= 1, { what: 'the watcher noticing B stopped' });
    expect((await api(a.url, 'PATCH', '/v1/projects/shop/environments/development/secrets', { set: { GREETING: 'again' } })).json.revision).toBe(2);
    await startReplica(Number(port));
    await until(() => seen.includes(2), { what: 'revision 2 after B restarted' });
    expect(seen).toEqual([0, 1, 2]);

    stop.abort();
    await watching;
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  });

  it('restarts a supervised program with the new value when a write through A is announced by B', async () => {
    const [a, b] = await Promise.all([startReplica(), startReplica()]);
    expect((await api(a.url, 'POST', '/v1/projects', { slug: 'app' })).status).toBe(201);
    const envPath = '/v1/projects/app/environments/staging';
    expect((await api(a.url, 'PATCH', `${envPath}/secrets`, { set: { COLOR: 'blue' } })).status).toBe(200);

    // What `krypt run --watch` does: fetch, start, watch; on a newer revision refetch and reload.
    // The program appends what it sees to a file (its stdout is krypt's, here the test's).
    const outFile = join(box.home, 'supervised.out');
    const out = () => (existsSync(outFile) ? readFileSync(outFile, 'utf8') : '');
    const fetchEnv = async () => {
      const r = await api(b.url, 'GET', `${envPath}/secrets`);
      return { revision: r.json.revision as number, env: { PATH: process.env.PATH, OUT_FILE: outFile, ...(r.json.secrets as Record<string, string>) } };
    };
    let current = await fetchEnv();
    const supervisor = superviseWithReload({
      command: process.execPath,
      args: ['-e', 'require("fs").appendFileSync(process.env.OUT_FILE, "color=" + process.env.COLOR + "\\n"); setInterval(() => {}, 1000)'],
      env: current.env,
      interactive: false,
    });
    const stop = new AbortController();
    const watching = watchRevisions({
      apiUrl: b.url,
      token,
      project: 'app',
      environment: 'staging',
      signal: stop.signal,
      knownRevision: current.revision,
      onRevision: async (rev) => {
        if (rev <= current.revision) return;
        current = await fetchEnv();
        supervisor.reload(current.env);
      },
    });
    await until(() => out().includes('color=blue'), { what: 'the first child' });
    const firstPid = supervisor.pid;

    expect((await api(a.url, 'PATCH', `${envPath}/secrets`, { set: { COLOR: 'green' } })).status).toBe(200);
    await until(() => out().includes('color=green'), { what: 'the restarted child with the new value' });
    expect(supervisor.pid).not.toBe(firstPid);
    expect(out()).toBe('color=blue\ncolor=green\n');

    stop.abort();
    await watching;
    expect(await supervisor.stop()).toBe(128 + 15);
    for (const r of [a, b]) r.child.kill('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
  });
});
