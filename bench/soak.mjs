#!/usr/bin/env node
// bench/soak: mixed reads and writes at 50 connections for 10 minutes against two replicas of the
// real server (`krypt server start`) sharing one PostgreSQL database, with replica B SIGKILLed at
// 40 % of the run and restarted on the same port ~5 s later. Checks what a client may rely on:
// every acknowledged write (200 with a revision) is there at the end with its value, and every read
// that returns 200 (or 304, or one key) already shows every write acknowledged before it was sent,
// whichever replica took the write. Then SIGTERM both and `krypt server verify-audit`.
// Usage: npm run build && node bench/soak.mjs [--minutes 10] [--connections 50]
// Mix: ~80 % bulk reads (half of them with If-None-Match of the revision that client last saw),
// ~10 % one-key reads (of a key acknowledged earlier), ~10 % writes setting a key never written
// before (W_<client>_<n>) to a value never used before. Targets: 3 projects × their 3 environments
// (9 environment rows), picked at random, so writes do not all contend on one row.
// Load balancing: the connections are split evenly over A and B. A connection error on a replica
// marks it down (like a load balancer's passive health check); its clients fail over to the other
// replica until GET /healthz answers again (probed every 250 ms), then go home. The request that
// failed is counted by error kind and not retried; a write whose response never came is
// "unacknowledged" (it may or may not have applied), never "lost".
// PostgreSQL: postgres://postgres@127.0.0.1:5432 (KRYPT_TEST_PG_URL overrides the admin URL); a
// fresh krypt_soak_<random> database is created and dropped at the end (also on error and Ctrl-C).
// Progress and events go to stderr every 30 s; the report to stdout; exit 0 on PASS, 1 on FAIL.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchProcesses, log, PG_ADMIN_URL, withAdmin } from './bench-processes.mjs';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'run.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const MINUTES = Number(arg('--minutes', '10'));
const CONNECTIONS = Number(arg('--connections', '50'));
if (!(MINUTES > 0) || !Number.isInteger(CONNECTIONS) || CONNECTIONS < 2) throw new Error('--minutes takes a positive number, --connections an integer ≥ 2');
const RUN_MS = MINUTES * 60_000;
const KILL_AT_MS = 0.4 * RUN_MS;
const DOWN_MS = 5000;
const PROGRESS_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
// Connection errors on B count as expected from the kill until B is healthy again plus this.
const GRACE_MS = 2000;
const PROJECTS = ['soak-1', 'soak-2', 'soak-3'];
const ENVIRONMENTS = ['development', 'staging', 'production'];
const SEED_KEYS = 50;

const { scratch, cleanup, stopChild, startListening, krypt, dropDatabaseOnCleanup } = benchProcesses('soak');
// Times in events and progress lines count from the start of load (set-up excluded).
let t0 = performance.now();
const elapsed = () => performance.now() - t0;
const stamp = (ms = elapsed()) => `t=${(ms / 1000).toFixed(1)}s`;

// ---- HTTP: one keep-alive agent per replica, one request at a time per connection ----
/** One request; resolves with status, headers and body text, rejects on a connection error or timeout. */
function send(replica, method, path, { headers = {}, body } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((res, rej) => {
    const req = request(replica.url + path, {
      method,
      agent: replica.agent,
      headers: { authorization: `Bearer ${token}`, ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('no response within 10 s'), { code: 'timeout' })));
    req.on('response', (resp) => {
      let text = '';
      resp.setEncoding('utf8');
      resp.on('data', (c) => (text += c));
      resp.on('end', () => res({ status: resp.statusCode, headers: resp.headers, text }));
      resp.on('error', rej);
    });
    req.on('error', rej);
    req.end(payload);
  });
}
// Node reports a connection closed before any response as ECONNRESET "socket hang up": kept apart
// from a reset mid-exchange, which is what the brief asks to count.
const errorKind = (err) => (err.message === 'socket hang up' ? 'socket hang up' : (err.code ?? err.message));

async function mustApi(replica, method, path, body) {
  const r = await send(replica, method, path, { body });
  if (r.status >= 300) throw new Error(`${method} ${path} on ${replica.label}: ${r.status} ${r.text}`);
  return r.text ? JSON.parse(r.text) : null;
}

// ---- state shared by the clients ----
let token;
let stopping = false;
const replicas = [];
const targets = PROJECTS.flatMap((p) => ENVIRONMENTS.map((e) => ({ id: `${p}/${e}`, path: `/v1/projects/${p}/environments/${e}/secrets`, acked: [], ackedRevision: 0, unacked: [] })));
const stats = { served: 0, byKind: new Map(), errors: new Map(), stale: 0, staleExamples: [], unexpected: [], events: [] };
let kill; // { at, restartedAt, healthyAt }
let restarts = 0;

const kindStats = (kind) => {
  if (!stats.byKind.has(kind)) stats.byKind.set(kind, { statuses: new Map(), ms: [] });
  return stats.byKind.get(kind);
};
function recordResponse(kind, replica, status, ms) {
  stats.served++;
  const k = kindStats(kind);
  k.statuses.set(status, (k.statuses.get(status) ?? 0) + 1);
  k.ms.push(ms);
  if (status >= 500 || (status !== 200 && status !== 304)) stats.unexpected.push({ kind, replica: replica.label, status, at: elapsed() });
}
function recordError(kind, replica, err, sentAt) {
  const expected = replica.label === 'B' && kill && sentAt >= kill.at - REQUEST_TIMEOUT_MS && (kill.healthyAt === undefined || sentAt <= kill.healthyAt + GRACE_MS);
  const key = `${replica.label} ${errorKind(err)}${expected ? '' : ' (outside the kill window)'}`;
  const e = stats.errors.get(key) ?? { count: 0, kinds: new Map(), expected };
  e.count++;
  e.kinds.set(kind, (e.kinds.get(kind) ?? 0) + 1);
  stats.errors.set(key, e);
  markDown(replica);
}
function stale(detail) {
  stats.stale++;
  if (stats.staleExamples.length < 5) stats.staleExamples.push(detail);
}

/** Passive health check: down on a connection error, up again when /healthz answers 200. */
function markDown(replica) {
  if (!replica.up) return;
  replica.up = false;
  stats.events.push(`${stamp()}: replica ${replica.label} marked down; its clients fail over to the other replica`);
  log(stats.events.at(-1));
  void (async () => {
    while (!replica.up && !stopping) {
      await sleep(250);
      const ok = await new Promise((res) => {
        const req = request(`${replica.url}/healthz`, { agent: false, timeout: 1000 }, (r) => (r.resume(), res(r.statusCode === 200)));
        req.on('timeout', () => req.destroy());
        req.on('error', () => res(false));
        req.end();
      });
      if (ok) {
        replica.up = true;
        if (kill && replica.label === 'B' && kill.healthyAt === undefined) kill.healthyAt = elapsed();
        stats.events.push(`${stamp()}: replica ${replica.label} healthy again; its clients go home`);
        log(stats.events.at(-1));
      }
    }
  })();
}

// ---- one connection: a loop of requests, one at a time ----
async function client(i) {
  const home = replicas[i % replicas.length];
  const other = replicas[(i + 1) % replicas.length];
  const lastSeen = new Map();
  let n = 0;
  while (!stopping) {
    const replica = home.up || !other.up ? home : other;
    const target = targets[Math.floor(Math.random() * targets.length)];
    // What was acknowledged before this request is sent: what a read of it must show.
    const ackedBefore = target.acked.length;
    const revisionBefore = target.ackedRevision;
    const roll = Math.random();
    const sentAt = elapsed();
    let kind;
    try {
      if (roll < 0.1) {
        kind = 'write';
        const key = `W_${i}_${++n}`;
        const value = `v-${i}-${n}-${randomBytes(8).toString('hex')}`;
        const write = { key, value, replica: replica.label, sentAt };
        let r;
        try {
          r = await send(replica, 'PATCH', target.path, { body: { set: { [key]: value }, delete: [] } });
        } catch (err) {
          target.unacked.push(write);
          throw err;
        }
        recordResponse(kind, replica, r.status, elapsed() - sentAt);
        if (r.status === 200) {
          const revision = JSON.parse(r.text).revision;
          target.acked.push({ ...write, revision, ackedAt: elapsed() });
          target.ackedRevision = Math.max(target.ackedRevision, revision);
        } else {
          target.unacked.push(write);
        }
      } else if (roll < 0.2) {
        kind = 'one-key read';
        const pick = ackedBefore > 0 ? target.acked[Math.floor(Math.random() * ackedBefore)] : { key: 'SEED_1', value: seedValue(target, 1) };
        const r = await send(replica, 'GET', `${target.path}/${pick.key}`);
        recordResponse(kind, replica, r.status, elapsed() - sentAt);
        const got = r.status === 200 ? JSON.parse(r.text).value : undefined;
        if (r.status === 404 || (r.status === 200 && got !== pick.value)) {
          stale({ kind, target: target.id, replica: replica.label, sentAt, status: r.status, key: pick.key, expected: pick.value, got, write: pick });
        }
      } else {
        const seen = lastSeen.get(target.id);
        const conditional = seen !== undefined && Math.random() < 0.5;
        kind = conditional ? 'bulk read (If-None-Match)' : 'bulk read';
        const r = await send(replica, 'GET', target.path, { headers: conditional ? { 'if-none-match': `"${seen}"` } : {} });
        recordResponse(kind, replica, r.status, elapsed() - sentAt);
        if (r.status === 304 && revisionBefore > seen) {
          stale({ kind, target: target.id, replica: replica.label, sentAt, status: 304, ifNoneMatch: seen, ackedRevision: revisionBefore });
        } else if (r.status === 200) {
          const body = JSON.parse(r.text);
          lastSeen.set(target.id, body.revision);
          const missing = [];
          for (let k = 0; k < ackedBefore; k++) {
            const w = target.acked[k];
            if (body.secrets[w.key] !== w.value) missing.push(w);
          }
          if (missing.length > 0 || body.revision < revisionBefore) {
            stale({ kind, target: target.id, replica: replica.label, sentAt, status: 200, revision: body.revision, ackedRevision: revisionBefore, missing: missing.length, firstMissing: missing[0] });
          }
        }
      }
    } catch (err) {
      recordError(kind, replica, err, sentAt);
      await sleep(100);
    }
  }
}

const seedValue = (target, k) => `seed-${target.id}-${k}-${'x'.repeat(24)}`;

// ---- the schedule: kill B at 40 %, restart it on the same port ----
async function killAndRestart(args) {
  const b = replicas[1];
  await sleep(KILL_AT_MS);
  if (stopping) return;
  const { port } = new URL(b.url);
  kill = { at: elapsed() };
  stats.events.push(`${stamp()}: SIGKILL replica B (pid ${b.proc.child.pid}, port ${port})`);
  log(stats.events.at(-1));
  const exited = new Promise((res) => b.proc.child.once('exit', res));
  b.proc.child.kill('SIGKILL');
  await exited;
  b.crashed = b.proc.stderr;
  await sleep(DOWN_MS);
  b.proc = await startListening('B', [...args, '--port', port]);
  restarts++;
  kill.restartedAt = elapsed();
  stats.events.push(`${stamp()}: replica B restarted (pid ${b.proc.child.pid}) and listening on ${b.proc.url}`);
  log(stats.events.at(-1));
}

function progress(prev) {
  const errors = [...stats.errors.values()].reduce((s, e) => s + e.count, 0);
  const rps = (stats.served - prev.served) / ((elapsed() - prev.at) / 1000);
  log(`${stamp()}: ${rps.toFixed(0)} req/s over the last ${((elapsed() - prev.at) / 1000).toFixed(0)} s; ${stats.served} served, ${errors} errors, ${stats.stale} stale reads so far; A ${replicas[0].up ? 'up' : 'down'}, B ${replicas[1].up ? 'up' : 'down'}`);
  return { served: stats.served, at: elapsed() };
}

// ---- the soak ----
async function main() {
  const name = `krypt_soak_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  dropDatabaseOnCleanup(() => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  const dbUrl = new URL(PG_ADMIN_URL);
  dbUrl.pathname = `/${name}`;
  const storage = ['--database-url', dbUrl.toString()];
  const keyFile = join(scratch, 'master.key');
  const init = await krypt(['server', 'init', ...storage, '--master-key-out', keyFile]);
  if (init.code !== 0) throw new Error(`server init exited ${init.code}: ${init.stderr}`);
  token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)[1];
  const args = [bin, 'server', 'start', ...storage, '--master-key-file', keyFile, '--log-level', 'warn'];
  for (const label of ['A', 'B']) {
    const proc = await startListening(label, [...args, '--port', '0']);
    replicas.push({ label, proc, get url() { return this.proc.url; }, up: true, agent: new Agent({ keepAlive: true, maxSockets: CONNECTIONS }) });
  }
  for (const p of PROJECTS) await mustApi(replicas[0], 'POST', '/v1/projects', { slug: p });
  for (const t of targets) {
    await mustApi(replicas[0], 'PATCH', t.path, { set: Object.fromEntries(Array.from({ length: SEED_KEYS }, (_, k) => [`SEED_${k + 1}`, seedValue(t, k + 1)])), delete: [] });
  }
  const pgVersion = (await withAdmin((c) => c.query('SHOW server_version'))).rows[0].server_version;
  log(`soak: ${MINUTES} min, ${CONNECTIONS} connections over replicas A ${replicas[0].url} and B ${replicas[1].url} (PostgreSQL ${pgVersion}); SIGKILL B at ${stamp(KILL_AT_MS)}`);

  const loadStart = performance.now();
  t0 = loadStart;
  const schedule = killAndRestart(args).catch((err) => {
    stats.events.push(`${stamp()}: restarting B failed: ${err.message}`);
    log(stats.events.at(-1));
  });
  let prev = { served: 0, at: elapsed() };
  const ticker = setInterval(() => (prev = progress(prev)), PROGRESS_MS);
  const clients = Array.from({ length: CONNECTIONS }, (_, i) => client(i));
  await sleep(RUN_MS);
  stopping = true;
  clearInterval(ticker);
  await Promise.all(clients);
  const loadMs = performance.now() - loadStart;
  await schedule;

  // Every acknowledged write, read back once through each replica that is up.
  let lost = 0;
  const lostExamples = [];
  let unackedApplied = 0;
  let unackedTotal = 0;
  for (const t of targets) {
    const reads = [];
    for (const r of replicas.filter((x) => x.up)) reads.push({ replica: r.label, secrets: (await mustApi(r, 'GET', t.path)).secrets });
    for (const w of t.acked) {
      const wrong = reads.filter((x) => x.secrets[w.key] !== w.value);
      if (wrong.length > 0) {
        lost++;
        if (lostExamples.length < 5) lostExamples.push({ target: t.id, ...w, readVia: wrong.map((x) => x.replica), got: wrong.map((x) => x.secrets[w.key] ?? '(absent)') });
      }
    }
    unackedTotal += t.unacked.length;
    unackedApplied += t.unacked.filter((w) => reads[0]?.secrets[w.key] === w.value).length;
  }

  const exits = [];
  for (const r of replicas) exits.push(`${r.label}: ${await stopChild(r.proc.child)}`);
  const verify = await krypt(['server', 'verify-audit', ...storage, '--master-key-file', keyFile]);
  return report({ loadMs, lost, lostExamples, unackedTotal, unackedApplied, verify, exits, pgVersion });
}

// ---- the report ----
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);

function report({ loadMs, lost, lostExamples, unackedTotal, unackedApplied, verify, exits, pgVersion }) {
  const out = (line = '') => console.log(line);
  const acked = targets.reduce((s, t) => s + t.acked.length, 0);
  out(`krypt soak — ${(loadMs / 60_000).toFixed(2)} min of load, ${CONNECTIONS} connections split over 2 replicas on PostgreSQL ${pgVersion}, failover on connection errors`);
  out(`targets: ${PROJECTS.length} projects × ${ENVIRONMENTS.length} environments, ${SEED_KEYS} seed keys each; at the end ${acked} acknowledged W_ keys across them`);
  out('');
  out(`requests served: ${stats.served} (${(stats.served / (loadMs / 1000)).toFixed(0)} req/s overall)`);
  out(`${'kind'.padEnd(26)}${'count'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}  statuses`);
  for (const [kind, k] of [...stats.byKind].sort()) {
    const ms = new Float64Array(k.ms).sort();
    const statuses = [...k.statuses].sort().map(([s, c]) => `${s}×${c}`).join(', ');
    out(`${kind.padEnd(26)}${String(ms.length).padStart(9)}${percentile(ms, 50).toFixed(2).padStart(9)}${percentile(ms, 99).toFixed(2).padStart(9)}  ${statuses}`);
  }
  out('');
  out('events:');
  for (const e of stats.events) out(`  ${e}`);
  out(`server restarts: ${restarts}; exits at the end (SIGTERM): ${exits.join(', ')}`);
  out('');
  const errorTotal = [...stats.errors.values()].reduce((s, e) => s + e.count, 0);
  out(`errors: ${errorTotal}${errorTotal ? ' (replica, kind: count; requests not answered, not retried)' : ''}`);
  for (const [key, e] of stats.errors) out(`  ${key}: ${e.count} (${[...e.kinds].map(([k, c]) => `${k} ${c}`).join(', ')})`);
  out(`unexpected statuses (not 200/304): ${stats.unexpected.length}`);
  for (const u of stats.unexpected.slice(0, 5)) out(`  ${stamp(u.at)} ${u.kind} on ${u.replica}: ${u.status}`);
  out(`unacknowledged writes: ${unackedTotal} (${unackedApplied} of them applied anyway, ${unackedTotal - unackedApplied} not)`);
  out(`acknowledged writes lost: ${lost}`);
  for (const l of lostExamples) out(`  ${JSON.stringify(l)}`);
  out(`stale reads: ${stats.stale}`);
  for (const s of stats.staleExamples) out(`  ${JSON.stringify(s)}`);
  const verifyText = (verify.stdout + verify.stderr).trim().split('\n').join(' | ');
  out(`verify-audit: exit ${verify.code}: ${verifyText}`);
  for (const r of replicas) {
    for (const [which, text] of [['killed', r.crashed], ['last', r.proc.stderr]]) {
      if (text === undefined) continue;
      const lines = text.trim() === '' ? [] : text.trim().split('\n');
      out(`server logs: ${r.label} (${which} process) wrote ${lines.length} line(s) at warn or above${lines.length ? `; first: ${lines[0].slice(0, 300)}` : ''}`);
    }
  }

  const reasons = [];
  if (stats.served === 0) reasons.push('no request served');
  if (lost > 0) reasons.push(`${lost} acknowledged writes lost`);
  if (stats.stale > 0) reasons.push(`${stats.stale} stale reads`);
  if (stats.unexpected.length > 0) reasons.push(`${stats.unexpected.length} responses not 200/304`);
  const outside = [...stats.errors.values()].filter((e) => !e.expected).reduce((s, e) => s + e.count, 0);
  if (outside > 0) reasons.push(`${outside} connection errors outside B's kill window`);
  if (restarts !== 1) reasons.push('replica B was not restarted');
  if (verify.code !== 0) reasons.push(`verify-audit exited ${verify.code}`);
  if (exits.some((e) => !e.endsWith(': 0'))) reasons.push(`a replica did not exit 0 on SIGTERM (${exits.join(', ')})`);
  out('');
  out(reasons.length === 0 ? 'soak: PASS' : `soak: FAIL (${reasons.join('; ')})`);
  return reasons.length === 0;
}

let passed = false;
try {
  passed = await main();
} catch (err) {
  log(`soak aborted: ${err.stack ?? err}`);
  console.log(`soak: FAIL (aborted: ${err.message})`);
} finally {
  stopping = true;
  for (const r of replicas) r.agent.destroy();
  await cleanup();
}
process.exitCode = passed ? 0 : 1;
