#!/usr/bin/env node
// bench/crash: SIGKILLs the real server at random moments during large pushes, on SQLite and on
// PostgreSQL. After every restart the environment must be exactly the old state or exactly the
// new one (all 1,000 values), with the matching revision; an acknowledged push must have survived;
// on SQLite, `PRAGMA integrity_check` must say ok. Prints the counts per database.
// Usage: npm run build && node bench/crash.mjs [--rounds 100] [--only sqlite|postgres]
// PostgreSQL: postgres://postgres@127.0.0.1:5432 (KRYPT_TEST_PG_URL overrides the admin URL); the
// script creates a fresh database and drops it at the end.
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'run.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ROUNDS = Number(arg('--rounds', '100'));
const ONLY = arg('--only', undefined);
const KEYS = 1000;
const PG_ADMIN_URL = process.env.KRYPT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SLUG = 'crash';
const SECRETS = `/v1/projects/${SLUG}/environments/development/secrets`;
// The environment the children see: nothing that could point them at a user's real config.
const childEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), NO_COLOR: '1' };

const keyNames = Array.from({ length: KEYS }, (_, i) => `CRASH_KEY_${String(i).padStart(4, '0')}`);
const freshValues = () => Object.fromEntries(keyNames.map((k) => [k, randomBytes(24).toString('base64url')]));

/** Runs `krypt ARGS` to completion; throws with its stderr on a non-zero exit. */
function krypt(args) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [bin, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`krypt ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/** Starts `krypt server start`; resolves with the child and its URL once it says it listens. */
function startServer(storageArgs, keyFile) {
  const args = [bin, 'server', 'start', ...storageArgs, '--master-key-file', keyFile, '--port', '0', '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return new Promise((res, rej) => {
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`server did not start within 20 s: ${err}`));
    }, 20_000);
    child.stderr.on('data', (c) => {
      err += c;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        res({ child, url: m[1], exited });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`server exited (${code ?? signal}) before listening: ${err}`));
    });
  });
}

/** One HTTP request over node:http; a reset connection resolves as { status: 0 }. */
function call(url, token, method, path, body) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((res) => {
    const req = request(
      new URL(path, url),
      {
        method,
        agent: false,
        headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      },
      (resp) => {
        const chunks = [];
        resp.on('data', (c) => chunks.push(c));
        resp.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          res({ status: resp.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
        });
        resp.on('error', () => res({ status: 0 }));
      },
    );
    req.on('error', () => res({ status: 0 }));
    req.end(payload);
  });
}

async function mustCall(url, token, method, path, body, status) {
  const res = await call(url, token, method, path, body);
  if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

/** The environment as the server reads it back. */
async function readState(url, token) {
  const body = await mustCall(url, token, 'GET', SECRETS, undefined, 200);
  return { revision: body.revision, secrets: body.secrets };
}

const sameValues = (a, b) => keyNames.every((k) => a[k] === b[k]) && Object.keys(a).length === Object.keys(b).length;

function integrityOk(file) {
  const db = new SqliteDatabase(file);
  try {
    return db.pragma('integrity_check', { simple: true }) === 'ok';
  } finally {
    db.close();
  }
}

async function crashRounds(label, storageArgs, sqliteFile) {
  const home = mkdtempSync(join(tmpdir(), 'krypt-crash-'));
  const keyFile = join(home, 'master.key');
  let server;
  try {
    const init = await krypt(['server', 'init', ...storageArgs, '--master-key-out', keyFile, '--email', 'crash@example.com']);
    const token = /^api-key: (\S+)$/m.exec(init)[1];

    // Seed the environment, then time the first push after a fresh start (as every round's push
    // is), so the kill window covers before, during and after the commit.
    server = await startServer(storageArgs, keyFile);
    await mustCall(server.url, token, 'POST', '/v1/projects', { slug: SLUG }, 201);
    let expected = { revision: 0, secrets: {} };
    const timings = [];
    for (let i = 0; i < 3; i++) {
      server.child.kill('SIGTERM');
      await server.exited;
      server = await startServer(storageArgs, keyFile);
      await readState(server.url, token);
      const secrets = freshValues();
      const t0 = performance.now();
      const res = await mustCall(server.url, token, 'PATCH', SECRETS, { baseRevision: expected.revision, set: secrets }, 200);
      timings.push(performance.now() - t0);
      expected = { revision: res.revision, secrets };
    }
    const pushMs = timings.sort((a, b) => a - b)[1];
    const windowMs = Math.ceil(pushMs * 1.5);

    const counts = { rounds: 0, old: 0, new: 0, torn: 0, integrity: 0, lostAck: 0, acked: 0 };
    const when = { beforeAckOld: 0, beforeAckNew: 0, afterAck: 0 };
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const next = freshValues();
      const delay = randomInt(0, windowMs + 1);
      const push = call(server.url, token, 'PATCH', SECRETS, { baseRevision: expected.revision, set: next });
      let acked = false;
      void push.then((r) => (acked = r.status === 200));
      await new Promise((r) => setTimeout(r, delay));
      const ackedBeforeKill = acked;
      server.child.kill('SIGKILL');
      await server.exited;
      await push;
      counts.rounds++;
      if (ackedBeforeKill) counts.acked++;

      if (sqliteFile && !integrityOk(sqliteFile)) {
        counts.integrity++;
        console.error(`${label} round ${round}: integrity_check failed`);
      }

      server = await startServer(storageArgs, keyFile);
      const state = await readState(server.url, token);
      if (state.revision === expected.revision && sameValues(state.secrets, expected.secrets)) {
        counts.old++;
        if (!ackedBeforeKill) when.beforeAckOld++;
        if (ackedBeforeKill) {
          counts.lostAck++;
          console.error(`${label} round ${round}: an acknowledged push was lost`);
        }
      } else if (state.revision === expected.revision + 1 && sameValues(state.secrets, next)) {
        counts.new++;
        when[ackedBeforeKill ? 'afterAck' : 'beforeAckNew']++;
        expected = { revision: state.revision, secrets: next };
      } else {
        counts.torn++;
        console.error(`${label} round ${round}: torn state at revision ${state.revision} (expected ${expected.revision} or ${expected.revision + 1})`);
        // Carry on from whatever is there, so one failure does not cascade into every later round.
        expected = state;
      }
      if ((round + 1) % 10 === 0) process.stderr.write(`${label}: ${round + 1}/${ROUNDS} rounds, ${counts.torn} torn\n`);
    }
    const seconds = (performance.now() - started) / 1000;
    server.child.kill('SIGTERM');
    await server.exited;
    if (sqliteFile && !integrityOk(sqliteFile)) counts.integrity++;
    return { label, pushMs, windowMs, seconds, ...counts, ...when };
  } finally {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(home, { recursive: true, force: true });
  }
}

async function withAdmin(fn) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function sqliteRun() {
  const dataDir = mkdtempSync(join(tmpdir(), 'krypt-crash-sqlite-'));
  try {
    return await crashRounds('sqlite', ['--data-dir', dataDir], join(dataDir, 'krypt.db'));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function postgresRun() {
  const name = `krypt_crash_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await crashRounds('postgres', ['--database-url', url.toString()], undefined);
  } finally {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

// The two databases run side by side (separate servers, directories and databases) to keep the
// whole bench within a few minutes; server start-up dominates each round.
// allSettled: one database failing must not exit before the other has cleaned up after itself.
const settled = await Promise.allSettled([ONLY !== 'postgres' ? sqliteRun() : undefined, ONLY !== 'sqlite' ? postgresRun() : undefined]);
for (const s of settled) if (s.status === 'rejected') console.error(`crash bench aborted: ${s.reason?.stack ?? s.reason}`);
const results = settled.filter((s) => s.status === 'fulfilled' && s.value !== undefined).map((s) => s.value);

console.log(`krypt crash bench — ${ROUNDS} rounds per database; each round pushes ${KEYS} fresh values and SIGKILLs the server 0..window ms after sending`);
const cols = [
  ['database', 10, (r) => r.label],
  ['rounds', 7, (r) => r.rounds],
  ['old-state', 10, (r) => r.old],
  ['new-state', 10, (r) => r.new],
  ['torn', 6, (r) => r.torn],
  ['integrity-fail', 15, (r) => (r.label === 'sqlite' ? r.integrity : 'n/a')],
  ['acked-lost', 11, (r) => r.lostAck],
  ['unacked→old', 12, (r) => r.beforeAckOld],
  ['unacked→new', 12, (r) => r.beforeAckNew],
  ['acked→new', 10, (r) => r.afterAck],
  ['push ms', 8, (r) => r.pushMs.toFixed(0)],
  ['window ms', 10, (r) => r.windowMs],
  ['total s', 8, (r) => r.seconds.toFixed(1)],
];
console.log(cols.map(([h, w]) => h.padStart(w)).join(' '));
for (const r of results) console.log(cols.map(([, w, f]) => String(f(r)).padStart(w)).join(' '));
const failed = settled.some((s) => s.status === 'rejected') || results.some((r) => r.torn > 0 || r.integrity > 0 || r.lostAck > 0);
console.log(failed ? 'FAIL: torn states, integrity failures or lost acknowledged pushes' : 'OK: every restart showed exactly the old or the new state');
process.exitCode = failed ? 1 : 0;
