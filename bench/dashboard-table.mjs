#!/usr/bin/env node
// bench/dashboard-table: how fast the dashboard's secrets table appears and answers, at 50 and at
// 500 keys, in Debian's chromium against a real `krypt server start --dev` (run `npm run build`
// first: the server serves dist/dashboard). Signs in through a real one-time link.
//
// Cases, interleaved 50/500 (the order flips every round, after one warm-up round not counted):
//   cold load   page.goto(/projects/bench?env=ENV), HTTP cache disabled: from navigation start
//               until the table's tbody holds all N rows and that frame is painted ("all rows"),
//               and until the last row also has its Edit/Delete buttons ("rows with actions": the
//               page draws the rows before it knows the caller's role when /v1/projects answers
//               after the keys, then draws them all again);
//   tab switch  from the empty production tab, a click on the ENV tab until the N rows (with their
//               Edit/Delete buttons: the role is known by then) are painted;
//   reveal      a click on one row's "Reveal KEY" until its value is painted (one audited GET).
// Times come from the page's own clock (performance.now(), the click event's timeStamp), so
// playwright's round trips are not in them. "painted" is the first task after the next animation
// frame once the DOM is there; "long tasks" is the total of PerformanceObserver 'longtask' entries
// (main-thread tasks over 50 ms) overlapping the measured span.
// Figures are printed, not asserted: the exit code is non-zero only when the bench cannot run.
// Usage: npm run build && node bench/dashboard-table.mjs [--rounds 10]
// The functions handed to page.evaluate/addInitScript run in the page: they use its globals.
/* global window, document, PerformanceObserver, MutationObserver, MessageChannel, requestAnimationFrame */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'run.js');
const CHROMIUM = '/usr/bin/chromium';
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 10;
const WARMUP = 1;
const SLUG = 'bench';
/** Environment -> number of keys; production stays empty (the tab a tab switch starts from). */
const SIZES = [
  ['development', 50],
  ['staging', 500],
];
const JS_BUDGET = 120 * 1024;

if (!existsSync(join(root, 'dist', 'dashboard', 'index.html'))) {
  console.error('no dist/dashboard/index.html: run `npm run build` first');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  process.exit(1);
}

/** `krypt server start --dev --port 0`; resolves once it has printed its URL and token (after listen). */
function startServer() {
  const child = spawn(process.execPath, [bin, 'server', 'start', '--dev', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise((r) => child.on('close', (code, signal) => r(code ?? signal)));
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  const ready = (async () => {
    const vars = {};
    for await (const line of createInterface({ input: child.stdout })) {
      const m = /^export (KRYPT_API_URL|KRYPT_TOKEN)=(\S+)$/.exec(line);
      if (m) vars[m[1]] = m[2];
      if (vars.KRYPT_API_URL && vars.KRYPT_TOKEN) return { url: vars.KRYPT_API_URL, token: vars.KRYPT_TOKEN };
    }
    throw new Error(`the server exited before printing its URL and token (${await exited}): ${stderr}`);
  })();
  return { ready, stop };
}

/** A small deterministic PRNG (mulberry32): the same keys and values on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVICES = ['STRIPE', 'POSTGRES', 'REDIS', 'SENTRY', 'AWS', 'GITHUB', 'SMTP', 'OAUTH', 'S3', 'KAFKA', 'TWILIO', 'SENDGRID', 'DATADOG', 'SLACK', 'OPENSEARCH', 'MONGO', 'RABBITMQ', 'AUTH0', 'SEGMENT', 'ALGOLIA', 'MAPBOX', 'PUSHER', 'CLOUDINARY', 'MAILGUN', 'INTERCOM'];
const FIELDS = ['URL', 'API_KEY', 'SECRET', 'TOKEN', 'HOST', 'PORT', 'USER', 'PASSWORD', 'REGION', 'BUCKET', 'CLIENT_ID', 'CLIENT_SECRET', 'WEBHOOK_SECRET', 'DSN', 'ENDPOINT', 'ACCOUNT_ID', 'SIGNING_KEY', 'PUBLIC_KEY', 'TIMEOUT_MS', 'POOL_SIZE'];
const PREFIXES = ['postgres://app:', 'https://api.example.com/', 'sk_live_', 'ghp_', 'xoxb-', 'AKIA', 'redis://:', ''];
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `count` distinct key names (SERVICE_FIELD) with values of 20 to 80 characters. */
function secrets(count, seed) {
  const rand = prng(seed);
  const set = {};
  for (let i = 0; i < count; i++) {
    const name = `${SERVICES[i % SERVICES.length]}_${FIELDS[Math.floor(i / SERVICES.length) % FIELDS.length]}${i >= SERVICES.length * FIELDS.length ? `_${i}` : ''}`;
    const length = 20 + Math.floor(rand() * 61);
    let value = PREFIXES[Math.floor(rand() * PREFIXES.length)];
    while (value.length < length) value += ALPHABET[Math.floor(rand() * ALPHABET.length)];
    set[name] = value.slice(0, length);
  }
  return set;
}

/** The bench's own API calls (bearer token), failing loudly. */
async function api(server, method, path, body) {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Runs in every document before the dashboard's scripts: logs each change of what the bench waits
 * for (row count, the last row's Edit button, a revealed value) with its DOM time and, one frame
 * later, its paint time; collects long tasks; remembers the last click's timestamp.
 */
function instrument() {
  const bench = { log: [], longTasks: [], clickAt: null };
  window.__bench = bench;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  window.addEventListener('click', (e) => void (bench.clickAt = e.timeStamp), true);
  let last = '';
  const check = () => {
    const rows = document.querySelectorAll('table.secrets tbody tr').length;
    const actions = document.querySelector('table.secrets tbody tr:last-child button[aria-label^="Edit "]') !== null;
    const revealed = document.querySelector('table.secrets code.revealed') !== null;
    const state = `${rows}/${actions}/${revealed}`;
    if (state === last) return;
    last = state;
    const entry = { rows, actions, revealed, dom: performance.now(), paint: null };
    bench.log.push(entry);
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => void (entry.paint = performance.now());
      channel.port2.postMessage(null);
    });
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
}

/** Resolves with the first painted log entry at or after `since` that satisfies `want`. */
async function waitFor(page, since, want) {
  const handle = await page.waitForFunction(
    ({ since, want }) => {
      const hit = window.__bench.log.find((e) => e.dom >= since && e.paint !== null && Object.entries(want).every(([k, v]) => e[k] === v));
      return hit ?? false;
    },
    { since, want },
    { timeout: 60_000 },
  );
  return handle.jsonValue();
}

/** Total long-task time overlapping [from, to] in the page (pending entries included). */
function longTaskMs(page, from, to) {
  return page.evaluate(
    ({ from, to }) =>
      window.__bench.longTasks.reduce((n, [start, duration]) => n + Math.max(0, Math.min(start + duration, to) - Math.max(start, from)), 0),
    { from, to },
  );
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => {
  const s = sorted(xs);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Nearest rank: with 10 samples, p90 is the 9th. */
const p90 = (xs) => sorted(xs)[Math.ceil(0.9 * xs.length) - 1];

/** The timestamp of the click the page just received (its own clock). */
async function lastClick(page) {
  const at = await page.evaluate(() => window.__bench.clickAt);
  if (typeof at !== 'number') throw new Error('the page saw no click event');
  return at;
}

const server = startServer();
let browser;
try {
  const srv = await server.ready;
  await api(srv, 'POST', '/v1/projects', { slug: SLUG });
  const keysOf = {};
  for (const [env, n] of SIZES) {
    const set = secrets(n, n);
    keysOf[env] = Object.keys(set).sort();
    await api(srv, 'PATCH', `/v1/projects/${SLUG}/environments/${env}/secrets`, { set });
  }

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(instrument);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
  const shipped = new Map();
  page.on('response', async (res) => {
    const path = new URL(res.url()).pathname;
    if (!/^\/assets\/.+\.(js|css)$/.test(path) || shipped.has(path)) return;
    try {
      shipped.set(path, gzipSync(await res.body(), { level: 9 }).length);
    } catch (err) {
      problems.push(`could not read ${path}: ${err.message}`);
    }
  });

  // A real sign-in: the link's code is swapped by the page for a session cookie.
  const { url: signInUrl } = await api(srv, 'POST', '/v1/sign-in-links', {});
  await page.goto(signInUrl);
  await page.locator('.account-email').waitFor();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');

  const samples = {};
  /** Keys -> cold loads whose rows were drawn before the role was known (so drawn twice). */
  const twice = {};
  const record = (name, n, ms, longMs) => {
    const s = (samples[`${name}/${n}`] ??= { name, n, ms: [], long: [] });
    s.ms.push(ms);
    s.long.push(longMs);
  };

  const coldLoad = async (env, n) => {
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await page.goto(`${srv.url}/projects/${SLUG}?env=${env}`);
    const rows = await waitFor(page, 0, { rows: n });
    const done = await waitFor(page, 0, { rows: n, actions: true });
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
    return { rows: rows.paint, actions: done.paint, long: await longTaskMs(page, 0, rows.paint), longActions: await longTaskMs(page, 0, done.paint) };
  };
  const tabSwitch = async (env, n) => {
    const production = page.getByRole('tab', { name: 'production', exact: true });
    if ((await production.getAttribute('aria-selected')) !== 'true') await production.click();
    await page.locator('.empty', { hasText: 'No keys in production' }).waitFor();
    await page.evaluate(() => void (window.__bench.clickAt = null));
    await page.getByRole('tab', { name: env, exact: true }).click();
    const clickAt = await lastClick(page);
    const rows = await waitFor(page, clickAt, { rows: n, actions: true });
    return { ms: rows.paint - clickAt, long: await longTaskMs(page, clickAt, rows.paint) };
  };
  const reveal = async (env, n, round) => {
    const key = keysOf[env][(round * 97 + 13) % n];
    await page.evaluate(() => void (window.__bench.clickAt = null));
    await page.getByRole('button', { name: `Reveal ${key}`, exact: true }).click();
    const clickAt = await lastClick(page);
    const shown = await waitFor(page, clickAt, { revealed: true });
    const long = await longTaskMs(page, clickAt, shown.paint);
    await page.getByRole('button', { name: `Hide ${key}`, exact: true }).click();
    await waitFor(page, shown.paint, { revealed: false });
    return { ms: shown.paint - clickAt, long };
  };

  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const counted = round >= WARMUP;
    const order = round % 2 ? [...SIZES].reverse() : SIZES;
    for (const [env, n] of order) {
      const cold = await coldLoad(env, n);
      if (counted) record('cold load: all rows', n, cold.rows, cold.long);
      if (counted) record('cold load: rows with actions', n, cold.actions, cold.longActions);
      if (counted) twice[n] = (twice[n] ?? 0) + (cold.actions > cold.rows ? 1 : 0);
    }
    for (const [env, n] of order) {
      const tab = await tabSwitch(env, n);
      if (counted) record('tab switch: all rows', n, tab.ms, tab.long);
      const shown = await reveal(env, n, round);
      if (counted) record('reveal: value shown', n, shown.ms, shown.long);
    }
  }

  const version = browser.version();
  console.log(`dashboard table — chromium ${version} headless, ${cpus().length} CPU(s), load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${ROUNDS} rounds after ${WARMUP} warm-up, 50/500 keys interleaved; ms until painted`);
  const f = (x) => (Number.isNaN(x) ? 'n/a' : x.toFixed(1));
  console.log(['case'.padEnd(30), 'keys'.padStart(5), 'median'.padStart(9), 'p90'.padStart(9), 'max'.padStart(9), 'long tasks (median)'.padStart(21)].join(''));
  const cases = ['cold load: all rows', 'cold load: rows with actions', 'tab switch: all rows', 'reveal: value shown'];
  for (const s of Object.values(samples).sort((a, b) => cases.indexOf(a.name) - cases.indexOf(b.name) || a.n - b.n)) {
    console.log([s.name.padEnd(30), String(s.n).padStart(5), f(median(s.ms)).padStart(9), f(p90(s.ms)).padStart(9), f(Math.max(...s.ms)).padStart(9), f(median(s.long)).padStart(21)].join(''));
  }
  console.log(`cold loads that drew the rows before the role was known, then again with Edit/Delete: ${SIZES.map(([, n]) => `${twice[n]} of ${ROUNDS} at ${n} keys`).join(', ')}`);
  const sum = (ext) => [...shipped].filter(([p]) => p.endsWith(ext)).reduce((n, [, size]) => n + size, 0);
  const js = sum('.js');
  console.log(`JS gzipped as the page loaded it: ${(js / 1024).toFixed(1)} KB of the 120 KB budget (${js <= JS_BUDGET ? 'within' : 'OVER'}); CSS ${(sum('.css') / 1024).toFixed(1)} KB`);
  console.log('aim: a table that stays responsive at 500 keys (figures are printed, not asserted)');
  if (problems.length) console.log(`the page reported:\n  ${problems.join('\n  ')}`);
} catch (err) {
  console.error(`dashboard-table failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  await server.stop();
}
