import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/contract/routes.js';
import { makeSandbox } from '../helpers/cli.js';
import { kryptInProcess } from '../helpers/in-process.js';
import { createTestPgDatabase, type TestPgDatabase } from '../helpers/pg.js';
import { killServerProcesses, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { until } from '../helpers/until.js';

// `krypt server start --metrics-port N`: Prometheus metrics on a listener of their own, as operators
// run it (a real server process, SQLite data directory and PostgreSQL). After real pushes, pulls,
// an invite and wrong keys, the counters say what happened under route PATTERNS, and the whole
// exposition holds none of the values, key names, project slug, emails, tokens or the master key.

const SLUG = 'metrics-leak-5f2a';
const OWNER_EMAIL = 'owner-metrics-7c1e@leakcheck.example';
const INVITEE_EMAIL = 'invitee-metrics-93ab@leakcheck.example';
const SECRETS: Record<string, string> = {
  METRICS_LEAK_KEY_A1: 'metrics-leak-value-0d9f3c',
  METRICS_LEAK_DB_URL: 'postgres://svc:pw-leak-77e2@db.internal/app',
  METRICS_LEAK_UNICODE: 'pässwörd-leak-🚀-4b1a',
};
const WRONG_KEY = 'krypt_metricswrongkey0123456789abcdefABCDEFgh';
const SECRETS_ROUTE = '/v1/projects/:slug/environments/:env/secrets';

/** The TCP ports process `pid` listens on, from its socket inodes and /proc/net/tcp{,6}. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // the descriptor closed while we looked
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXADDR:HEXPORT; st 0A is LISTEN; field 9 is the inode.
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.add(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** The value of the sample `name{labels}` (labels exactly these), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').split(',').filter(Boolean).sort().join(',') === want) return Number(m[3]);
  }
  return undefined;
}

const portOf = (url: string): number => Number(new URL(url).port);

describe.each(['sqlite', 'postgres'] as const)('krypt server start --metrics-port 0 (%s, real server process)', (dialect) => {
  const box = makeSandbox();
  const keyFile = join(box.home, 'master.key');
  const needles = new Map<string, string>();
  let pgDb: TestPgDatabase | undefined;
  let server: ServerProcess;
  let metricsUrl: string;
  let token: string;
  const cli = (args: string[], input?: string) => kryptInProcess(args, { cwd: box.cwd, env: box.env, ...(input !== undefined ? { input } : {}) });
  const scrape = async () => (await fetch(metricsUrl)).text();

  beforeAll(async () => {
    if (dialect === 'postgres') pgDb = await createTestPgDatabase();
    const storage = pgDb ? ['--database-url', pgDb.url] : ['--data-dir', join(box.home, 'data')];
    const init = await cli(['server', 'init', ...storage, '--master-key-out', keyFile, '--email', OWNER_EMAIL]);
    expect(init.code, init.stderr).toBe(0);
    token = /^api-key: (\S+)$/m.exec(init.stdout)![1]!;
    needles.set(token, 'the initial API key');
    needles.set(readFileSync(keyFile, 'utf8').trim(), 'the master key');
    server = await startServerProcess([...storage, '--master-key-file', keyFile, '--port', '0', '--metrics-port', '0'], box.env);
    await until(() => /^Krypt metrics at http:\/\/\S+$/m.test(server.stderr()), { what: 'the metrics line on stderr' });
    metricsUrl = /^Krypt metrics at (http:\/\/\S+)$/m.exec(server.stderr())![1]!;
    expect((await cli(['login', '--api-url', server.url, '--token-stdin'], token)).code).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    await pgDb?.drop();
  });

  it('names the metrics URL at start-up (stderr and the log) and listens on exactly the API and metrics ports', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    // The log is written asynchronously: it may reach stderr after the command's own line.
    await until(() => /"msg":"metrics listening"/.test(server.stderr()), { what: 'the "metrics listening" log line' });
    expect(server.stderr()).toContain(`"url":"${metricsUrl}"`);
    expect(listeningPorts(server.child.pid!)).toEqual([portOf(server.url), portOf(metricsUrl)].sort((a, b) => a - b));
  });

  it('counts a push and a pull under the secrets route pattern, with their latency', async () => {
    expect((await cli(['projects', 'create', SLUG])).code).toBe(0);
    expect((await cli(['init', '--project', SLUG])).code).toBe(0);
    writeFileSync(join(box.cwd, '.env'), Object.entries(SECRETS).map(([k, v]) => `${k}='${v}'`).join('\n') + '\n');
    const push = await cli(['push', '--yes']);
    expect(push.code, push.stderr).toBe(0);
    const pull = await cli(['pull', '--out', 'pulled.env']);
    expect(pull.code, pull.stderr).toBe(0);

    const text = await scrape();
    expect(sample(text, 'krypt_http_requests_total', { route: SECRETS_ROUTE, method: 'PATCH', status: '200' })).toBe(1);
    expect(sample(text, 'krypt_http_requests_total', { route: SECRETS_ROUTE, method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'krypt_http_request_duration_seconds_count', { route: SECRETS_ROUTE, method: 'PATCH' })).toBe(1);
    expect(sample(text, 'krypt_http_request_duration_seconds_bucket', { route: SECRETS_ROUTE, method: 'PATCH', le: '5' })).toBe(1);
    expect(sample(text, 'krypt_http_request_duration_seconds_sum', { route: SECRETS_ROUTE, method: 'PATCH' })).toBeGreaterThan(0);
    expect(text).toMatch(/^krypt_process_resident_memory_bytes \d+/m);
  });

  it('counts a wrong API key as a failed credential', async () => {
    const before = sample(await scrape(), 'krypt_auth_failures_total', { kind: 'api_key' })!;
    const res = await fetch(`${server.url}/v1/projects`, { headers: { authorization: `Bearer ${WRONG_KEY}` } });
    expect(res.status).toBe(401);
    const text = await scrape();
    expect(sample(text, 'krypt_auth_failures_total', { kind: 'api_key' })).toBe(before + 1);
    expect(sample(text, 'krypt_auth_rate_limited_total', { kind: 'api_key' })).toBe(0);
    expect(sample(text, 'krypt_http_requests_total', { route: '/v1/projects', method: 'GET', status: '401' })).toBeGreaterThanOrEqual(1);
  });

  it('has no /metrics on the API port (the normal not-found envelope), and nothing but /metrics on its own', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await fetch(metricsUrl.replace(/\/metrics$/, '/v1/projects'), { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it('holds no value, key name, slug, email, token or master key in the whole exposition', async () => {
    const invite = await cli(['members', 'invite', INVITEE_EMAIL, '--role', 'member', '-p', SLUG]);
    expect(invite.code, invite.stderr).toBe(0);
    const code = /--invite (\S+)/.exec(invite.stdout)![1]!;
    const service = await cli(['keys', 'create', '--service', '-p', SLUG, '-e', 'development']);
    expect(service.code, service.stderr).toBe(0);
    const get = await cli(['get', 'METRICS_LEAK_KEY_A1']);
    expect(get.stdout).toBe(`${SECRETS.METRICS_LEAK_KEY_A1}\n`);
    // Wrong credentials, each carrying something distinctive (in the body, the path, the query).
    await fetch(`${server.url}/v1/invites/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: `${code}x` }) });
    await fetch(`${server.url}/v1/projects/${SLUG}/environments/development/secrets/METRICS_LEAK_KEY_A1?reveal=${WRONG_KEY}`, { headers: { authorization: `Bearer ${WRONG_KEY}` } });

    for (const [k, v] of Object.entries(SECRETS)) {
      needles.set(k, `key name ${k}`);
      needles.set(v, `value of ${k}`);
    }
    needles.set(SLUG, 'project slug');
    needles.set(OWNER_EMAIL, 'owner email');
    needles.set(INVITEE_EMAIL, 'invitee email');
    needles.set(OWNER_EMAIL.split('@')[0]!, 'owner email local part');
    needles.set(code, 'invite code');
    needles.set(service.stdout.trim(), 'service token');
    needles.set(WRONG_KEY, 'wrong API key');
    needles.set('leakcheck', 'email domain');

    const text = await scrape();
    expect(sample(text, 'krypt_auth_failures_total', { kind: 'invite' })).toBe(1);
    expect(text.length).toBeGreaterThan(2000);
    const hits = [...needles].filter(([needle]) => text.includes(needle)).map(([, what]) => what);
    expect(hits).toEqual([]);
    // Every route label is a pattern of the contract's route table (or "unmatched"), never a URL.
    const patterns = new Set<string>([...Object.values(ROUTES).map((r) => r.path), 'unmatched']);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!));
    expect(routes.size).toBeGreaterThan(3);
    for (const route of routes) expect(patterns, route).toContain(route);
  });

  it('stops the metrics listener with the server on SIGTERM', async () => {
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toContain('Krypt server stopped.');
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});

describe('krypt server start without --metrics-port, and the metrics flags', () => {
  afterEach(killServerProcesses);
  const box = makeSandbox();
  const dataDir = join(box.home, 'data');
  const keyFile = join(box.home, 'master.key');
  const start = (args: string[]) => kryptInProcess(['server', 'start', '--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0', ...args], { cwd: box.cwd, env: box.env });

  beforeAll(async () => {
    const init = await kryptInProcess(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile], { cwd: box.cwd, env: box.env });
    expect(init.code, init.stderr).toBe(0);
  });

  it('serves no metrics anywhere: one listening port, the API, which has no /metrics', async () => {
    const server = await startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0'], box.env);
    expect(listeningPorts(server.child.pid!)).toEqual([portOf(server.url)]);
    expect(server.stderr()).not.toMatch(/metrics/i);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect(await server.stop()).toBe(0);
  });

  it('puts the metrics URL in the --json ready line', async () => {
    const server = await startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0', '--metrics-port', '0', '--json'], box.env);
    await until(() => server.stdout().endsWith('\n'), { what: 'the ready line on stdout' });
    const ready = JSON.parse(server.stdout()) as { url: string; metricsUrl: string };
    expect(ready.url).toBe(server.url);
    expect(ready.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await fetch(ready.metricsUrl)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('--dev --metrics-port: the metrics line goes to stderr; stdout keeps exactly the two export lines', async () => {
    const dev = await startServerProcess(['--dev', '--port', '0', '--metrics-port', '0'], box.env);
    await until(() => /^export KRYPT_TOKEN=.*\n/m.test(dev.stdout()), { what: 'the export lines on stdout' });
    expect(dev.stdout()).toMatch(/^export KRYPT_API_URL=\S+\nexport KRYPT_TOKEN=\S+\n$/);
    const url = /^Krypt metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(dev.stderr())![1]!;
    expect(await (await fetch(url)).text()).toContain('krypt_http_requests_total');
    expect(await dev.stop()).toBe(0);
  });

  it('refuses a non-loopback metrics host without --metrics-public, and metrics flags that need another', async () => {
    const open = await start(['--metrics-port', '0', '--metrics-host', '0.0.0.0']);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/^Error: refusing to serve metrics on 0\.0\.0\.0/m);
    expect(open.stderr).toContain('--metrics-public');
    const hostAlone = await start(['--metrics-host', '127.0.0.1']);
    expect(hostAlone.code).toBe(1);
    expect(hostAlone.stderr).toMatch(/--metrics-host needs --metrics-port/);
    const publicAlone = await start(['--metrics-port', '0', '--metrics-public']);
    expect(publicAlone.code).toBe(1);
    expect(publicAlone.stderr).toMatch(/--metrics-public needs --metrics-host/);
    const dev = await kryptInProcess(['server', 'start', '--dev', '--port', '0', '--metrics-port', '0', '--metrics-host', '::1'], { cwd: box.cwd, env: box.env });
    expect(dev.code).toBe(1);
    expect(dev.stderr).toMatch(/--metrics-host cannot be used with --dev/);
  });
});
