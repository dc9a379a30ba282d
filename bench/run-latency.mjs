#!/usr/bin/env node
// bench/run-latency: how long every daily command takes next to the floor (node + one node:http GET
// of 50 keys + spawning the child), through bin/run.js and through the standalone binary. The cases
// are interleaved: each round runs every case once, so machine noise spreads over all of them.
// Prints medians, peak RSS, ratios to the floor and each target of issue 11.
// Usage: npm run build && node bench/run-latency.mjs [--runs 30] [--https] [--binary PATH]
// (--binary defaults to release/build/linux-x64/krypt when `npm run release` made it.)
// --https: the server speaks TLS 1.3 with a throw-away CA and certificate (openssl, temporary
// directory); krypt and the floor both trust that CA (KRYPT_CA_FILE).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'run.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
const WARMUP = 3;
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const HTTPS = process.argv.includes('--https');
const binaryArg = process.argv.indexOf('--binary');
const defaultBinary = join(root, 'release/build/linux-x64/krypt');
const BINARY = binaryArg > 0 ? resolve(process.argv[binaryArg + 1]) : existsSync(defaultBinary) ? defaultBinary : undefined;
const scratch = mkdtempSync(join(tmpdir(), 'krypt-bench-'));

/** A throw-away CA and a certificate for 127.0.0.1 (subjectAltName), made with the openssl CLI. */
function makeCertificates(dir) {
  const ssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=krypt bench CA', '-addext', 'basicConstraints=critical,CA:TRUE');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext');
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

let server;
let url;
let token;
let caFile;
if (HTTPS) {
  // A real instance (init + start): --dev is plain http on loopback by design.
  const pki = makeCertificates(scratch);
  caFile = pki.ca;
  const dataDir = join(scratch, 'data');
  const keyFile = join(scratch, 'master.key');
  const init = spawnSync(process.execPath, [bin, 'server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`server init failed: ${init.stderr}`);
  token = /^api-key: (\S+)$/m.exec(init.stdout)[1];
  server = spawn(process.execPath, [bin, 'server', 'start', '--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0', '--log-level', 'warn', '--tls-cert', pki.cert, '--tls-key', pki.key], { stdio: ['ignore', 'ignore', 'pipe'] });
  for await (const line of createInterface({ input: server.stderr })) {
    const m = /listening on (https:\/\/\S+)/.exec(line);
    if (m) {
      url = m[1];
      break;
    }
  }
} else {
  server = spawn(process.execPath, [bin, 'server', 'start', '--dev', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const vars = {};
  for await (const line of createInterface({ input: server.stdout })) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) vars[m[1]] = m[2];
    if (vars.KRYPT_API_URL && vars.KRYPT_TOKEN) break;
  }
  ({ KRYPT_API_URL: url, KRYPT_TOKEN: token } = vars);
}

/** Set-up calls: node:https for TLS (the global fetch cannot be given a CA). */
function api(method, path, body) {
  const payload = JSON.stringify(body);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  if (!HTTPS) {
    return fetch(url + path, { method, headers, body: payload }).then(async (res) => {
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    });
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url + path, { method, headers, ca: readFileSync(caFile) }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
await api('POST', '/v1/projects', { slug: 'bench' });
const set = {};
for (let i = 0; i < 50; i++) set[`KEY_${String(i).padStart(2, '0')}`] = `value-${i}-${'x'.repeat(40)}`;
await api('PATCH', '/v1/projects/bench/environments/development/secrets', { set });

const env = { ...process.env, KRYPT_API_URL: url, KRYPT_TOKEN: token, KRYPT_PROJECT: 'bench', KRYPT_CONFIG_DIR: join(scratch, 'config') };
if (caFile) env.KRYPT_CA_FILE = caFile;
const secretsUrl = `${url}/v1/projects/bench/environments/development/secrets`;
// The unchanged file push and diff compare against: exactly the environment on the server.
const work = join(scratch, 'work');
mkdirSync(work);
writeFileSync(join(work, 'same.env'), Object.entries(set).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');

/** Every daily command, for one way of starting krypt (`node bin/run.js` or the binary). */
const daily = (label, start) => [
  [`${label} run -- true`, [...start, 'run', '--', 'true'], 'run'],
  [`${label} get KEY`, [...start, 'get', 'KEY_07'], 'get'],
  [`${label} pull --stdout`, [...start, 'pull', '--stdout'], 'daily'],
  [`${label} push (unchanged)`, [...start, 'push', '--file', 'same.env', '--yes'], 'daily'],
  [`${label} set KEY=V`, [...start, 'set', 'BENCH_TMP=1'], 'daily'],
  [`${label} unset KEY`, [...start, 'unset', 'BENCH_TMP'], 'daily'],
  [`${label} whoami`, [...start, 'whoami'], 'daily'],
  [`${label} list`, [...start, 'list'], 'daily'],
  [`${label} diff (equal)`, [...start, 'diff', '--file', 'same.env'], 'daily'],
  [`${label} secrets list`, [...start, 'secrets', 'list'], 'daily'],
  [`${label} --help`, [...start, '--help'], 'daily'],
];
const cases = [
  ['node -e 0', [process.execPath, '-e', '0'], 'ref'],
  ['floor (node GET + spawn)', [process.execPath, join(root, 'bench', 'floor.mjs'), secretsUrl, token, 'true'], 'floor'],
  ...daily('node', [process.execPath, bin]),
  ...(BINARY ? daily('binary', [BINARY]) : []),
];

/** One timed run: wall time in ms and (with GNU time) peak RSS in MB. */
function once(argv) {
  const start = process.hrtime.bigint();
  const full = GNU_TIME ? [GNU_TIME, '-f', '%M', ...argv] : argv;
  const res = spawnSync(full[0], full.slice(1), { env, cwd: work, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 0) throw new Error(`${argv.join(' ')} exited ${res.status}: ${res.stderr}`);
  const kb = GNU_TIME ? Number(res.stderr.trim().split('\n').pop()) : NaN;
  return { ms, mb: kb / 1024 };
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Interleaved: round r runs every case once (set before unset, so unset always has a key to delete).
const samples = cases.map(() => []);
for (let round = 0; round < WARMUP + RUNS; round++) {
  cases.forEach(([, argv], i) => {
    const s = once(argv);
    if (round >= WARMUP) samples[i].push(s);
  });
}
server.kill('SIGTERM');
rmSync(scratch, { recursive: true, force: true });

const results = cases.map(([name, , kind], i) => ({ name, kind, ms: median(samples[i].map((s) => s.ms)), mb: Math.max(...samples[i].map((s) => s.mb)) }));
const floor = results.find((r) => r.kind === 'floor').ms;
console.log(`krypt latency — ${RUNS} interleaved rounds after ${WARMUP} warm-up, medians; 50-key environment over ${new URL(url).protocol.slice(0, -1)}${HTTPS ? ' (TLS 1.3, private CA)' : ''}`);
console.log(['case'.padEnd(30), 'median ms'.padStart(10), 'peak RSS MB'.padStart(12), 'x floor'.padStart(8), '  target'].join(''));
for (const r of results) {
  const x = r.ms / floor;
  const node = r.name.startsWith('node ') && r.kind !== 'ref';
  const target =
    r.kind === 'floor' || r.kind === 'ref' ? ''
    : node ? (r.kind === 'daily' ? (x <= 1.5 ? '≤ 1.50 met' : '≤ 1.50 MISSED') : x <= 1.1 ? '≤ 1.10 met' : '≤ 1.10 MISSED')
    : r.kind === 'daily' ? (x <= 1.0 ? '≤ 1.00 met' : '≤ 1.00 MISSED')
    : `${x <= 0.6 ? '≤ 0.60 met' : '≤ 0.60 MISSED'}, RSS ${r.mb <= 40 ? '≤ 40 MB met' : '≤ 40 MB MISSED'}`;
  console.log([r.name.padEnd(30), r.ms.toFixed(1).padStart(10), (Number.isNaN(r.mb) ? 'n/a' : r.mb.toFixed(1)).padStart(12), x.toFixed(2).padStart(8), '  ' + target].join(''));
}
if (!BINARY) console.log('(no binary rows: run `npm run release` first, or pass --binary PATH)');
