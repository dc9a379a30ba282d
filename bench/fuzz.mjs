#!/usr/bin/env node
// bench/fuzz: the generators of test/server/fuzz.test.ts, 20,000 cases against an in-process server
// on in-memory SQLite. Prints counts per status and per route, and every invariant violation
// (never a 5xx, always the error envelope, nothing internal in a response, the database unchanged).
// Usage: node bench/fuzz.mjs [--cases 20000] [--concurrency 16] [--seed N]
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { register } from 'tsx/esm/api';

register();
const fc = (await import('fast-check')).default;
const { caseArb, prepareFuzzTarget, send, snapshot, violations } = await import('../test/helpers/fuzz.ts');
const { startTestServer } = await import('../test/helpers/server.ts');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CASES = arg('cases', 20_000);
const CONCURRENCY = arg('concurrency', 16);
const SEED = arg('seed', Date.now() % 2 ** 31);
const BODY_LIMIT = 64 * 1024;

const srv = await startTestServer({ bodyLimit: BODY_LIMIT, failureLimit: { maxFailures: 1_000_000 } });
const target = await prepareFuzzTarget(srv, BODY_LIMIT);
const before = JSON.stringify(await snapshot(srv.db));
const cases = fc.sample(caseArb(target), { numRuns: CASES, seed: SEED });
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

const byStatus = new Map();
const byRoute = new Map();
const byKind = new Map();
const problems = [];
let next = 0;
const started = performance.now();
async function worker() {
  while (next < cases.length) {
    const c = cases[next++];
    let r;
    try {
      r = await send(srv.url, c, agent);
    } catch (err) {
      problems.push(`${c.method} ${c.path.slice(0, 120)} [${c.kind}]: request failed: ${err.message}`);
      continue;
    }
    const status = r.status === -1 ? 'closed' : String(r.status);
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    const route = `${c.route.method} ${c.route.template}`;
    const counts = byRoute.get(route) ?? {};
    counts[status] = (counts[status] ?? 0) + 1;
    byRoute.set(route, counts);
    const kind = c.kind.split('/')[0];
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    for (const v of violations(c, r)) problems.push(`${c.method} ${c.path.slice(0, 120)} [${c.kind}] -> ${r.status}: ${v}`);
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const seconds = (performance.now() - started) / 1000;
const after = JSON.stringify(await snapshot(srv.db));
if (after !== before) problems.push('the database changed');
const serverErrors = srv.logs().split('\n').filter((l) => l.includes('"level":50')).length;
if (serverErrors > 0) problems.push(`${serverErrors} error-level log lines`);
agent.destroy();
await srv.close();

const sortedEntries = (m) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
console.log(`fuzz: ${cases.length} cases, seed ${SEED}, ${CONCURRENCY} at a time, ${seconds.toFixed(1)} s (${Math.round(cases.length / seconds)} req/s)`);
console.log(`status: ${sortedEntries(byStatus).map(([s, n]) => `${s}=${n}`).join(' ')}   ("closed": the server answered and closed before the request was fully sent)`);
console.log(`bodies: ${sortedEntries(byKind).map(([k, n]) => `${k}=${n}`).join(' ')}`);
console.log('per route:');
for (const [route, counts] of sortedEntries(byRoute)) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`  ${route.padEnd(72)} ${String(total).padStart(5)}  ${Object.entries(counts).sort().map(([s, n]) => `${s}=${n}`).join(' ')}`);
}
console.log(`database unchanged: ${after === before ? 'yes' : 'NO'}`);
console.log(`invariant violations: ${problems.length}`);
for (const p of problems.slice(0, 30)) console.log(`  ${p}`);
process.exitCode = problems.length === 0 ? 0 : 1;
