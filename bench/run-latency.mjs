#!/usr/bin/env node
// bench/run-latency: how long `krypt run -- true` and `krypt get KEY` take next to the floor
// (node + one GET of 50 keys + spawning the child). Prints medians, peak RSS and ratios.
// Usage: npm run build && node bench/run-latency.mjs [--runs 30]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'run.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
const WARMUP = 3;
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const server = spawn(process.execPath, [bin, 'server', 'start', '--dev', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
const vars = {};
for await (const line of createInterface({ input: server.stdout })) {
  const m = /^export (\w+)=(.*)$/.exec(line);
  if (m) vars[m[1]] = m[2];
  if (vars.KRYPT_API_URL && vars.KRYPT_TOKEN) break;
}
const { KRYPT_API_URL: url, KRYPT_TOKEN: token } = vars;

async function api(method, path, body) {
  const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}
await api('POST', '/v1/projects', { slug: 'bench' });
const set = {};
for (let i = 0; i < 50; i++) set[`KEY_${String(i).padStart(2, '0')}`] = `value-${i}-${'x'.repeat(40)}`;
await api('PATCH', '/v1/projects/bench/environments/development/secrets', { set });

const env = { ...process.env, KRYPT_API_URL: url, KRYPT_TOKEN: token, KRYPT_PROJECT: 'bench', KRYPT_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'krypt-bench-')) };
const secretsUrl = `${url}/v1/projects/bench/environments/development/secrets`;
const cases = [
  ['true', ['true']],
  ['node -e 0', [process.execPath, '-e', '0']],
  ['floor (node GET + spawn)', [process.execPath, join(root, 'bench', 'floor.mjs'), secretsUrl, token, 'true']],
  ['krypt run -- true', [process.execPath, bin, 'run', '--', 'true']],
  ['krypt get KEY', [process.execPath, bin, 'get', 'KEY_07']],
  ['krypt --help', [process.execPath, bin, '--help']],
];

/** One timed run: wall time in ms and (with GNU time) peak RSS in MB. */
function once(argv) {
  const start = process.hrtime.bigint();
  const full = GNU_TIME ? [GNU_TIME, '-f', '%M', ...argv] : argv;
  const res = spawnSync(full[0], full.slice(1), { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 0) throw new Error(`${argv.join(' ')} exited ${res.status}: ${res.stderr}`);
  const kb = GNU_TIME ? Number(res.stderr.trim().split('\n').pop()) : NaN;
  return { ms, mb: kb / 1024 };
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = [];
for (const [name, argv] of cases) {
  for (let i = 0; i < WARMUP; i++) once(argv);
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(once(argv));
  results.push({ name, ms: median(samples.map((s) => s.ms)), mb: Math.max(...samples.map((s) => s.mb)) });
}
server.kill('SIGTERM');

const floor = results.find((r) => r.name.startsWith('floor')).ms;
console.log(`krypt run latency — ${RUNS} runs each after ${WARMUP} warm-up, medians; 50-key environment over ${new URL(url).protocol.slice(0, -1)}`);
console.log(['case'.padEnd(28), 'median ms'.padStart(10), 'peak RSS MB'.padStart(12), 'x floor'.padStart(8)].join(''));
for (const r of results) {
  console.log([r.name.padEnd(28), r.ms.toFixed(1).padStart(10), (Number.isNaN(r.mb) ? 'n/a' : r.mb.toFixed(1)).padStart(12), (r.ms / floor).toFixed(2).padStart(8)].join(''));
}
