#!/usr/bin/env node
// bench/rate-limit: 1,000 wrong API keys from 127.0.0.1 against a dev server while a good client on
// the same address polls GET /v1/me. Prints how many wrong attempts got 401 before the cut-off,
// how many 429 (and the Retry-After), the good client's successes and failures, and the time taken.
// Loopback only, bounded loop. Usage: npm run build && node bench/rate-limit.mjs [--attempts 1000]
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const attemptsArg = process.argv.indexOf('--attempts');
const ATTEMPTS = Math.min(attemptsArg > 0 ? Number(process.argv[attemptsArg + 1]) : 1000, 100_000);

const server = spawn(process.execPath, [join(root, 'bin', 'run.js'), 'server', 'start', '--dev', '--port', '0', '--log-level', 'warn'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const vars = {};
for await (const line of createInterface({ input: server.stdout })) {
  const m = /^export (\w+)=(.*)$/.exec(line);
  if (m) vars[m[1]] = m[2];
  if (vars.KRYPT_API_URL && vars.KRYPT_TOKEN) break;
}
const { KRYPT_API_URL: url, KRYPT_TOKEN: token } = vars;
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url ?? '')) throw new Error(`not a loopback dev server: ${url}`);

const wrong = { 401: 0, 429: 0, other: 0 };
let firstLimitedAt = -1;
const retryAfter = new Set();
const good = { ok: 0, failed: 0 };
let attacking = true;

async function poll() {
  while (attacking) {
    const res = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status === 200) good.ok++;
    else good.failed++;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const started = performance.now();
const poller = poll();
for (let i = 0; i < ATTEMPTS; i++) {
  const res = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer krypt_wrong_${i.toString(36)}` } });
  await res.arrayBuffer();
  if (res.status === 401) wrong[401]++;
  else if (res.status === 429) {
    wrong[429]++;
    if (firstLimitedAt < 0) firstLimitedAt = i + 1;
    retryAfter.add(res.headers.get('retry-after'));
  } else wrong.other++;
}
attacking = false;
await poller;
const ms = performance.now() - started;
server.kill('SIGTERM');

console.log(`wrong keys sent from 127.0.0.1: ${ATTEMPTS} in ${(ms / 1000).toFixed(2)} s`);
console.log(`  401 before the cut-off: ${wrong[401]}`);
console.log(`  429 rate_limited:       ${wrong[429]} (first at attempt ${firstLimitedAt}; Retry-After seen: ${[...retryAfter].join(', ')} s)`);
console.log(`  other statuses:         ${wrong.other}`);
console.log(`good client (same address, valid key): ${good.ok} succeeded, ${good.failed} failed`);
process.exitCode = wrong[429] > 0 && good.failed === 0 ? 0 : 1;
