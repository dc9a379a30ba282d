#!/usr/bin/env node
// bench/server-throughput: requests per second and latency of the real API server (`krypt server
// start`, as operators run it) on SQLite and on PostgreSQL, next to bare Fastify serving the same
// bytes, with autocannon on 127.0.0.1. Cases: bulk read of a 50-key environment (~3 KB of JSON),
// one-key read, a 304 (If-None-Match with the current revision), a one-key write whose value
// differs on every request; and a bulk read over two PostgreSQL replicas against one, sharing the
// machine and then each held to --replica-cap of a core (bench/cpu-cap.mjs, where cgroups allow). Then a
// 10,000-key environment: a 304 and a one-key write (sequential, client-side), and `krypt push` /
// `krypt pull` of 10,000 keys through the real CLI. Prints one table and the targets of issue 12.
// Usage: npm run build && node bench/server-throughput.mjs [--duration 5] [--connections 1,10,50]
//        [--rounds 2] [--quick] [--only sqlite|postgres] [--replica-cap 0.3]
// --quick: duration 2 s, 1 round, connections 1,50 (explicit flags still win).
// Interleaved: each round runs every (case, store, connections) once in a fixed order against
// servers that stay up for the whole bench; the table shows medians over rounds. Each server gets a
// 1 s warm-up first. Latency percentiles come from every response's time (autocannon's 'response'
// event, sub-millisecond), non-2xx included as autocannon counts them.
// The load generator runs in this process on the same machine: on 2 cores it competes with the
// server for CPU, so absolute figures are lower than on a separate client, and two replicas plus
// the client share those 2 cores. Ratios to bare Fastify carry the same handicap on both sides.
// PostgreSQL: postgres://postgres@127.0.0.1:5432 (KRYPT_TEST_PG_URL overrides the admin URL); a
// fresh krypt_bench_<random> database is created and dropped at the end (also on error and Ctrl-C).
// One file past 400 lines on purpose, like the other benches: set-up, cases, the large environment
// and the report read top to bottom; the reference server (bench/bare-fastify.mjs) and the child
// processes shared with bench/soak.mjs (bench/bench-processes.mjs) live apart.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { benchProcesses, log, PG_ADMIN_URL, withAdmin } from './bench-processes.mjs';
import { cpuCaps } from './cpu-cap.mjs';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'run.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const QUICK = process.argv.includes('--quick');
const DURATION = Number(arg('--duration', QUICK ? '2' : '5'));
const ROUNDS = Number(arg('--rounds', QUICK ? '1' : '2'));
const CONNECTIONS = arg('--connections', QUICK ? '1,50' : '1,10,50').split(',').map(Number);
const ONLY = arg('--only', undefined);
if (ONLY && ONLY !== 'sqlite' && ONLY !== 'postgres') throw new Error('--only takes sqlite or postgres');
const REPLICA_CONNECTIONS = 50;
// Each replica's CPU in the capped replica cases, in cores (see bench/cpu-cap.mjs).
const REPLICA_CAP = Number(arg('--replica-cap', '0.3'));
const LARGE_KEYS = 10_000;
// Below MAX_KEYS_PER_WRITE (20,000, src/contract/constants.ts); chunks keep each seed write short.
const SEED_CHUNK = 2500;
const SLUG = 'bench';
const LARGE_SLUG = 'bench-large';
const PUSH_SLUG = 'bench-push';
const secretsPath = (slug) => `/v1/projects/${slug}/environments/development/secrets`;

const { scratch, cleanup, startListening, krypt, dropDatabaseOnCleanup } = benchProcesses('throughput');

async function mustKrypt(args, opts) {
  const r = await krypt(args, opts);
  if (r.code !== 0) throw new Error(`krypt ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** One set-up call over fetch; throws on anything but a 2xx. */
async function api(server, method, path, body) {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} on ${server.label}: ${res.status} ${text}`);
  return { text, etag: res.headers.get('etag'), json: JSON.parse(text) };
}

// Values shaped like real ones (URLs, tokens, ids), ~40 bytes each.
const shapes = [
  () => `postgres://app:${randomBytes(6).toString('hex')}@db.internal/app`,
  () => `sk_live_${randomBytes(24).toString('base64url')}`,
  () => `https://hooks.example.com/${randomBytes(10).toString('hex')}`,
  () => randomBytes(20).toString('hex'),
  () => `${randomBytes(4).toString('hex')}-${randomBytes(2).toString('hex')}-4${randomBytes(2).toString('hex').slice(1)}-${randomBytes(8).toString('hex')}`,
];
const realisticValue = (i) => shapes[i % shapes.length]();

// ---- the servers ----
/** `server init` on STORAGE_ARGS, then REPLICAS × `server start` on it; returns the started servers. */
async function startStore(label, storageArgs, replicas) {
  const keyFile = join(scratch, `${label}.key`);
  const init = await mustKrypt(['server', 'init', ...storageArgs, '--master-key-out', keyFile]);
  const token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)[1];
  const args = [bin, 'server', 'start', ...storageArgs, '--master-key-file', keyFile, '--port', '0', '--log-level', 'warn'];
  const names = replicas === 1 ? [label] : Array.from({ length: replicas }, (_, i) => `${label} ${'AB'[i]}`);
  const servers = await Promise.all(names.map((name) => startListening(name, args)));
  for (const s of servers) s.token = token;
  return servers;
}

async function seed(server) {
  await api(server, 'POST', '/v1/projects', { slug: SLUG });
  const set = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`KEY_${i + 1}`, realisticValue(i)]));
  await api(server, 'PATCH', secretsPath(SLUG), { set, delete: [] });
}

// ---- one autocannon run ----
let writeCounter = 0;
/** A write body setting KEY to a new value on every call, always 40 bytes, so the bulk body keeps its size. */
const writeBodies = (key) => () => JSON.stringify({ set: { [key]: `w${String(++writeCounter).padStart(11, '0')}-${'x'.repeat(28)}` }, delete: [] });

/**
 * A 304 ends at its headers whatever its content-length says (RFC 9112 §6.3); Node's parser, curl and
 * browsers do so. autocannon's parser (http-parser-js) honours the header instead, so a 304 that
 * carries a non-zero content-length (Krypt's did: `content-length: 4`, its `null`) stalls the
 * connection waiting for a body that never comes. This skips the body of a 304 as they do. It wraps
 * the handler after the client's constructor has set it, before its socket can deliver a byte.
 */
function bodylessNotModified(client) {
  process.nextTick(() => {
    const key = client.parser.constructor.kOnHeadersComplete;
    const onHeaders = client.parser[key];
    client.parser[key] = (info) => {
      onHeaders(info);
      return info.statusCode === 304;
    };
  });
}

/** One autocannon instance; resolves with its result and every response time in ms. */
function cannon(url, connections, duration, { token, method = 'GET', headers = {}, body, expect }) {
  const times = [];
  const opts = {
    url,
    connections,
    duration,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    method,
    ...(expect === 304 ? { setupClient: bodylessNotModified } : {}),
  };
  if (body) {
    opts.headers['content-type'] = 'application/json';
    opts.requests = [{ method, setupRequest: (req) => ({ ...req, body: body() }) }];
  }
  const instance = autocannon(opts);
  instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  return instance.then((result) => ({ result, times }));
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Busy and total clock ticks of all cores so far, from /proc/stat (Linux); NaN elsewhere. */
function machineTicks() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const n = fields.map(Number);
    const idle = n[3] + n[4];
    return { busy: n.reduce((a, b) => a + b, 0) - idle, total: n.reduce((a, b) => a + b, 0) };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/**
 * Runs the instances of one measurement side by side; one sample: summed req/s, merged latencies,
 * counts, and the CPU the server process(es) used (100 % = one core busy for the whole run).
 */
async function measure(targets, expectStatus, duration = DURATION) {
  const pids = [...new Set(targets.map((t) => t.pid))];
  const cpuBefore = pids.map(cpuSeconds);
  const machineBefore = machineTicks();
  const t0 = performance.now();
  const runs = await Promise.all(targets.map((t) => cannon(t.url, t.connections, duration, { ...t, expect: expectStatus })));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = pids.reduce((sum, pid, i) => sum + (cpuSeconds(pid) - cpuBefore[i]), 0) / elapsed;
  const machineAfter = machineTicks();
  // Every core's busy share: servers, PostgreSQL and this load generator together (100 % = all cores saturated).
  const machine = (100 * (machineAfter.busy - machineBefore.busy)) / (machineAfter.total - machineBefore.total);
  const times = new Float64Array(runs.flatMap((r) => r.times)).sort();
  const sample = { rps: 0, p50: percentile(times, 50), p99: percentile(times, 99), cpu: cpu * 100, machine, non2xx: 0, errors: 0, timeouts: 0, unexpected: 0, codes: {} };
  for (const { result } of runs) {
    sample.rps += result.requests.total / result.duration;
    sample.non2xx += result.non2xx;
    sample.errors += result.errors;
    sample.timeouts += result.timeouts;
    for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
      if (Number(code) !== expectStatus) {
        sample.unexpected += count;
        sample.codes[code] = (sample.codes[code] ?? 0) + count;
      }
    }
  }
  return sample;
}

// ---- the large environment, measured client-side ----
/** Sequential requests over one keep-alive connection; the median round trip in ms. */
async function sequential(server, n, { method = 'GET', path, headers = {}, body, expectStatus }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise((res, rej) => {
      const payload = body ? Buffer.from(body()) : undefined;
      const t0 = performance.now();
      const req = request(server.url + path, {
        method,
        agent,
        headers: { authorization: `Bearer ${server.token}`, ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      });
      req.on('response', (resp) => {
        resp.resume();
        resp.on('end', () => (resp.statusCode === expectStatus ? res(performance.now() - t0) : rej(new Error(`${method} ${path}: ${resp.statusCode}, expected ${expectStatus}`))));
      });
      req.on('error', rej);
      req.end(payload);
    });
  try {
    for (let i = 0; i < 3; i++) await once();
    const ms = [];
    for (let i = 0; i < n; i++) ms.push(await once());
    return median(ms);
  } finally {
    agent.destroy();
  }
}

// `krypt push` prints its diff on stderr before the error: the `Error:` line is the one that says why.
const errorLine = (text) => {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => l.startsWith('Error')) ?? lines[0] ?? '(no output)';
};

async function largeEnvironment(server) {
  await api(server, 'POST', '/v1/projects', { slug: LARGE_SLUG });
  await api(server, 'POST', '/v1/projects', { slug: PUSH_SLUG });
  const entries = Array.from({ length: LARGE_KEYS }, (_, i) => [`LARGE_KEY_${String(i).padStart(5, '0')}`, realisticValue(i)]);
  for (let i = 0; i < entries.length; i += SEED_CHUNK) {
    await api(server, 'PATCH', secretsPath(LARGE_SLUG), { set: Object.fromEntries(entries.slice(i, i + SEED_CHUNK)), delete: [] });
  }
  const { etag } = await api(server, 'GET', secretsPath(LARGE_SLUG));
  const notModifiedMs = await sequential(server, 50, { path: secretsPath(LARGE_SLUG), headers: { 'if-none-match': etag }, expectStatus: 304 });
  const writeMs = await sequential(server, 30, { method: 'PATCH', path: secretsPath(LARGE_SLUG), body: writeBodies('LARGE_KEY_00000'), expectStatus: 200 });

  // The CLI, as a user runs it: its own config directory, `krypt init` in a project directory.
  const env = { KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token, KRYPT_CONFIG_DIR: join(scratch, `${server.label}-config`) };
  const pushDir = join(scratch, `${server.label}-push`);
  const pullDir = join(scratch, `${server.label}-pull`);
  mkdirSync(pushDir);
  mkdirSync(pullDir);
  await mustKrypt(['init', '-p', PUSH_SLUG], { cwd: pushDir, env });
  await mustKrypt(['init', '-p', LARGE_SLUG], { cwd: pullDir, env });
  writeFileSync(join(pushDir, '.env'), entries.map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const push = await krypt(['push', '--yes'], { cwd: pushDir, env });
  const pulls = [];
  let pullError;
  for (let i = 0; i < 3 && !pullError; i++) {
    const pull = await krypt(['pull', '--stdout'], { cwd: pullDir, env });
    const lines = pull.stdout.split('\n').filter((l) => /^LARGE_KEY_/.test(l)).length;
    if (pull.code !== 0) pullError = `failed: ${errorLine(pull.stderr)}`;
    else if (lines !== LARGE_KEYS) pullError = `failed: ${lines} keys in the output, expected ${LARGE_KEYS}`;
    else pulls.push(pull.ms);
  }
  return {
    notModifiedMs,
    writeMs,
    push: push.code === 0 ? { ms: push.ms } : { failed: `failed: ${errorLine(push.stderr)}` },
    pull: pullError ? { failed: pullError } : { ms: median(pulls) },
  };
}

// ---- the bench ----
async function main() {
  const stores = [];
  if (ONLY !== 'postgres') {
    const dataDir = join(scratch, 'sqlite');
    const [server] = await startStore('sqlite', ['--data-dir', dataDir], 1);
    stores.push({ store: 'sqlite', server });
  }
  let replicaB;
  if (ONLY !== 'sqlite') {
    const name = `krypt_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
    dropDatabaseOnCleanup(() => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    const [a, b] = await startStore('postgres', ['--database-url', url.toString()], 2);
    stores.push({ store: 'postgres', server: a });
    replicaB = b;
  }
  for (const { server } of stores) await seed(server);

  // Bare Fastify serves the very bytes Krypt's bulk read returns.
  const reference = await api(stores[0].server, 'GET', secretsPath(SLUG));
  writeFileSync(join(scratch, 'body.json'), reference.text);
  const bare = await startListening('bare fastify', [join(root, 'bench', 'bare-fastify.mjs'), join(scratch, 'body.json'), reference.etag]);
  const bulkBytes = Buffer.byteLength(reference.text);
  const probe = await fetch(stores[0].server.url + secretsPath(SLUG), { headers: { authorization: `Bearer ${stores[0].server.token}`, 'if-none-match': reference.etag } });
  await probe.arrayBuffer();
  const notModifiedLength = probe.status === 304 ? probe.headers.get('content-length') : `(status ${probe.status}, not 304)`;

  const bulk = (server, connections) => ({ url: server.url + secretsPath(SLUG), connections, token: server.token, pid: server.child.pid });
  const cases = [
    ['bulk read', 200, (s, c) => [bulk(s, c)]],
    ['one key read', 200, (s, c) => [{ ...bulk(s, c), url: `${s.url}${secretsPath(SLUG)}/KEY_1` }]],
    // The revision moves with every write case: the 304 case asks for the current one just before it runs.
    ['304', 304, (s, c, etag) => [{ ...bulk(s, c), headers: { 'if-none-match': etag } }]],
    ['one-key write', 200, (s, c) => [{ ...bulk(s, c), method: 'PATCH', body: writeBodies('KEY_50') }]],
  ];
  const combos = [];
  for (const connections of CONNECTIONS) {
    combos.push({ name: 'bare fastify', store: '—', connections, expect: 200, targets: () => [{ url: bare.url + secretsPath(SLUG), connections, pid: bare.child.pid }] });
    for (const [name, expect, build] of cases) {
      for (const { store, server } of stores) {
        const needsEtag = expect === 304;
        combos.push({ name, store, connections, expect, targets: async () => build(server, connections, needsEtag ? (await api(server, 'GET', secretsPath(SLUG))).etag : undefined) });
      }
    }
  }
  let capsWhy;
  if (replicaB) {
    const [a, b] = [stores.find((s) => s.store === 'postgres').server, replicaB];
    const half = REPLICA_CONNECTIONS / 2;
    combos.push({ name: 'bulk read', store: 'postgres ×2', connections: REPLICA_CONNECTIONS, expect: 200, targets: () => [bulk(a, half), bulk(b, half)] });
    // The same with each replica held to REPLICA_CAP of a core, as if each had a machine of its own:
    // whether a second replica adds capacity, which the shared 2 cores above cannot show.
    const caps = cpuCaps('krypt-bench');
    if (caps.available) {
      process.on('exit', () => caps.cleanup());
      const capped = (...servers) => ({
        targets: () => servers.map((s) => (caps.cap(s.child.pid, REPLICA_CAP), bulk(s, REPLICA_CONNECTIONS / servers.length))),
        after: () => servers.forEach((s) => caps.uncap(s.child.pid)),
      });
      combos.push({ name: 'bulk read', store: 'pg capped', connections: REPLICA_CONNECTIONS, expect: 200, ...capped(a) });
      combos.push({ name: 'bulk read', store: 'pg capped ×2', connections: REPLICA_CONNECTIONS, expect: 200, ...capped(a, b) });
    } else {
      capsWhy = caps.why;
    }
  }

  log(`warming up every server for 1 s`);
  await measure([{ url: bare.url + secretsPath(SLUG), connections: 10, pid: bare.child.pid }], 200, 1);
  for (const s of [...stores.map((x) => x.server), ...(replicaB ? [replicaB] : [])]) await measure([bulk(s, 10)], 200, 1);

  const samples = combos.map(() => []);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [i, combo] of combos.entries()) {
      let sample;
      try {
        sample = await measure(await combo.targets(), combo.expect);
      } finally {
        combo.after?.();
      }
      samples[i].push(sample);
      log(`round ${round}/${ROUNDS}  ${combo.name} ${combo.store} @${combo.connections}: ${sample.rps.toFixed(0)} req/s, p99 ${sample.p99.toFixed(2)} ms${sample.unexpected ? `, ${sample.unexpected} unexpected status` : ''}`);
    }
  }

  const large = [];
  for (const { store, server } of stores) {
    log(`${store}: ${LARGE_KEYS}-key environment`);
    large.push({ store, ...(await largeEnvironment(server)) });
  }

  const servers = [bare, ...stores.map((s) => s.server), ...(replicaB ? [replicaB] : [])];
  const pgVersion = ONLY !== 'sqlite' ? (await withAdmin((c) => c.query('SHOW server_version'))).rows[0].server_version : undefined;
  report({ combos, samples, large, bulkBytes, notModifiedLength, servers, pgVersion, capsWhy });
}

// ---- the report ----
function report({ combos, samples, large, bulkBytes, notModifiedLength, servers, pgVersion, capsWhy }) {
  const rows = combos.map((combo, i) => {
    const s = samples[i];
    const sum = (k) => s.reduce((n, x) => n + x[k], 0);
    const codes = {};
    for (const x of s) for (const [c, n] of Object.entries(x.codes)) codes[c] = (codes[c] ?? 0) + n;
    return { ...combo, rps: median(s.map((x) => x.rps)), p50: median(s.map((x) => x.p50)), p99: median(s.map((x) => x.p99)), cpu: median(s.map((x) => x.cpu)), machine: median(s.map((x) => x.machine)), non2xx: sum('non2xx'), errors: sum('errors'), timeouts: sum('timeouts'), unexpected: sum('unexpected'), codes };
  });
  const find = (name, store, connections) => rows.find((r) => r.name === name && r.store === store && r.connections === connections);
  const c = cpus();
  console.log(`krypt server throughput — autocannon, ${DURATION} s per run, ${ROUNDS} interleaved round(s), medians over rounds; 127.0.0.1, http`);
  console.log(`machine: ${c.length} × ${c[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}${pgVersion ? `, PostgreSQL ${pgVersion}` : ''}; the load generator shares these cores with the servers`);
  console.log(`bulk read body: ${bulkBytes} bytes (50 keys); one-key write sets KEY_50 to a new 40-byte value each request`);
  if (notModifiedLength !== null && notModifiedLength !== '0') {
    console.log(`note: Krypt's 304 has content-length: ${notModifiedLength} and no body (RFC 9110 §8.6 allows only the 200's length); autocannon is told to skip 304 bodies`);
  }
  console.log('');
  const cols = [
    ['case', -14, (r) => r.name],
    ['store', -12, (r) => r.store],
    ['conns', 6, (r) => r.connections],
    ['req/s', 9, (r) => r.rps.toFixed(0)],
    ['p50 ms', 8, (r) => r.p50.toFixed(2)],
    ['p99 ms', 8, (r) => r.p99.toFixed(2)],
    ['x bare', 7, (r) => {
      const b = find('bare fastify', '—', r.connections);
      return b ? (r.rps / b.rps).toFixed(3) : 'n/a';
    }],
    ['srv CPU', 8, (r) => (Number.isNaN(r.cpu) ? 'n/a' : `${r.cpu.toFixed(0)} %`)],
    ['machine', 8, (r) => (Number.isNaN(r.machine) ? 'n/a' : `${r.machine.toFixed(0)} %`)],
    ['non2xx', 7, (r) => r.non2xx],
    ['errors', 7, (r) => r.errors],
    ['timeouts', 9, (r) => r.timeouts],
    ['unexpected', 11, (r) => r.unexpected],
  ];
  const pad = (text, w) => (w < 0 ? String(text).padEnd(-w) : String(text).padStart(w));
  console.log(cols.map(([h, w]) => pad(h, w)).join(' '));
  for (const r of rows) console.log(cols.map(([, w, f]) => pad(f(r), w)).join(' '));
  console.log('(srv CPU: user + system time of the server process(es) over the run, 100 % = one core; PostgreSQL\'s own processes not included.');
  console.log(' machine: busy share of all cores over the run (servers, PostgreSQL, this load generator; 100 % = every core saturated)');
  console.log(' non2xx, errors, timeouts: autocannon\'s counts summed over rounds; unexpected: responses whose status is not the case\'s expected one — 304 for the 304 case, else 200)');
  for (const r of rows) {
    if (r.unexpected) console.log(`  ${r.name} ${r.store} @${r.connections}: unexpected statuses ${Object.entries(r.codes).map(([code, n]) => `${code}×${n}`).join(', ')}`);
  }

  console.log('');
  console.log(`${LARGE_KEYS.toLocaleString('en')}-key environment (client-side, sequential, one keep-alive connection; round trip on loopback, an upper bound of server time):`);
  const figure = (x) => ('failed' in x ? x.failed : `${x.ms.toFixed(0)} ms`);
  for (const l of large) {
    console.log(`  ${l.store.padEnd(9)} 304 median ${l.notModifiedMs.toFixed(2)} ms (50 requests); one-key write median ${l.writeMs.toFixed(2)} ms (30 writes); krypt push ${figure(l.push)}; krypt pull --stdout ${figure(l.pull)}`);
  }

  const lines = [];
  const target = (ok, text) => lines.push(`${ok ? 'met   ' : 'MISSED'}  ${text}`);
  const na = (text) => lines.push(`n/a     ${text}`);
  const storeName = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
  for (const [store, share, p99] of [['sqlite', 0.25, 20], ['postgres', 0.1, 30]]) {
    const r = find('bulk read', store, 50);
    const b = find('bare fastify', '—', 50);
    if (!r || !b) {
      if (storesIn(rows).has(store)) na(`bulk read ${storeName[store]} @50 (needs 50 in --connections)`);
      continue;
    }
    const x = r.rps / b.rps;
    target(x >= share && r.p99 <= p99, `bulk read ${storeName[store]} @50: ${(x * 100).toFixed(1)} % of bare Fastify (≥ ${share * 100} %), p99 ${r.p99.toFixed(2)} ms (≤ ${p99} ms)`);
  }
  for (const store of storesIn(rows)) {
    const one = find('bulk read', store, 1);
    const ten = find('bulk read', store, 10);
    if (!one || !ten) na(`bulk read ${storeName[store]} grows from 1 to 10 connections (needs 1 and 10 in --connections)`);
    else target(ten.rps > one.rps, `bulk read ${storeName[store]} grows from 1 to 10 connections: ${one.rps.toFixed(0)} → ${ten.rps.toFixed(0)} req/s (×${(ten.rps / one.rps).toFixed(2)})`);
  }
  const two = find('bulk read', 'postgres ×2', REPLICA_CONNECTIONS);
  const oneReplica = find('bulk read', 'postgres', REPLICA_CONNECTIONS);
  const cappedTwo = find('bulk read', 'pg capped ×2', REPLICA_CONNECTIONS);
  const cappedOne = find('bulk read', 'pg capped', REPLICA_CONNECTIONS);
  const shared = two && oneReplica
    ? `${two.rps.toFixed(0)} vs ${oneReplica.rps.toFixed(0)} req/s (×${(two.rps / oneReplica.rps).toFixed(2)}); the machine was ${oneReplica.machine.toFixed(0)} % busy with one replica (so a second could add at most ×${(100 / oneReplica.machine).toFixed(2)}), ${two.machine.toFixed(0)} % with two`
    : undefined;
  if (cappedTwo && cappedOne) {
    target(cappedTwo.rps >= 1.7 * cappedOne.rps, `2 PostgreSQL replicas ≥ 1.7 × one, each held to ${REPLICA_CAP} core (bulk read @50): ${cappedTwo.rps.toFixed(0)} vs ${cappedOne.rps.toFixed(0)} req/s (×${(cappedTwo.rps / cappedOne.rps).toFixed(2)}); machine ${cappedOne.machine.toFixed(0)} % / ${cappedTwo.machine.toFixed(0)} % busy`);
    if (shared) lines.push(`info    uncapped, both replicas on this machine's ${cpus().length} cores: ${shared}`);
  } else if (shared) {
    target(two.rps >= 1.7 * oneReplica.rps, `2 PostgreSQL replicas ≥ 1.7 × one (bulk read @50): ${shared}${capsWhy ? `; capped replicas not measured: ${capsWhy}` : ''}`);
  } else if (two) na('2 PostgreSQL replicas ≥ 1.7 × one (needs 50 in --connections)');
  for (const l of large) target(l.notModifiedMs <= 5, `304 at 10,000 keys ≤ 5 ms, ${storeName[l.store]}: ${l.notModifiedMs.toFixed(2)} ms`);
  for (const l of large) target(l.writeMs <= 20, `one-key write to a 10,000-key environment ≤ 20 ms, ${storeName[l.store]}: ${l.writeMs.toFixed(2)} ms`);
  for (const l of large) {
    for (const [verb, x] of [['push', l.push], ['pull', l.pull]]) target(!('failed' in x) && x.ms <= 2000, `10,000-key krypt ${verb} ≤ 2 s, ${storeName[l.store]}: ${figure(x)}`);
  }
  console.log('');
  console.log('TARGETS');
  for (const l of lines) console.log(l);

  const noisy = servers.filter((s) => s.stderr.trim() !== '');
  console.log('');
  if (noisy.length === 0) console.log('server logs: no warnings or errors from any server during the bench');
  for (const s of noisy) {
    const logLines = s.stderr.trim().split('\n');
    console.log(`server logs: ${s.label} wrote ${logLines.length} line(s) at warn or above; first: ${logLines[0].slice(0, 300)}`);
  }
}
const storesIn = (rows) => new Set(rows.map((r) => r.store).filter((s) => s === 'sqlite' || s === 'postgres'));

try {
  await main();
} catch (err) {
  log(`server-throughput bench aborted: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
