import { readFileSync } from 'node:fs';
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krypt, makeSandbox } from '../helpers/cli.js';
import { killServerProcesses, startServerProcess } from '../helpers/server-process.js';
import { createTestPki, type TestPki } from '../helpers/tls.js';
import { initInstance, openDatabase, parseMasterKey, startServer, type RunningServer } from '../../src/server/entry/index.js';

// Transport security end to end: a real `krypt server start --tls-cert/--tls-key` process with a
// throw-away CA, and the real CLI binary talking to it.

const HSTS = 'max-age=63072000; includeSubDomains';

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One https request trusting `ca` (node:https: the global fetch cannot take a CA). */
function httpsCall(url: string, ca: Buffer, opts: { method?: string; token?: string } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
    const req = httpsRequest(url, { method: opts.method ?? 'GET', ca, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw TLS handshake with the given version bounds: the negotiated protocol, or the error. */
function handshake(port: number, ca: Buffer, versions: { minVersion?: 'TLSv1.2'; maxVersion: 'TLSv1.2' | 'TLSv1.3' }): Promise<{ protocol?: string; error?: Error & { code?: string } }> {
  return new Promise((resolve) => {
    const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...versions });
    socket.once('secureConnect', () => {
      resolve({ protocol: socket.getProtocol() ?? undefined });
      socket.destroy();
    });
    socket.once('error', (error) => resolve({ error }));
  });
}

let pki: TestPki;
let url: string;
let port: number;
let token: string;

beforeAll(async () => {
  pki = createTestPki();
  const box = makeSandbox();
  const dataDir = join(box.home, 'data');
  const keyFile = join(box.home, 'master.key');
  const init = await krypt(['server', 'init', '--data-dir', dataDir, '--master-key-out', keyFile], { cwd: box.cwd, env: box.env });
  expect(init.code).toBe(0);
  token = /^api-key: (krypt_\S+)$/m.exec(init.stdout)![1]!;
  const server = await startServerProcess(['--data-dir', dataDir, '--master-key-file', keyFile, '--port', '0', '--tls-cert', pki.certFile, '--tls-key', pki.keyFile], box.env);
  url = server.url;
  port = Number(new URL(url).port);
  // A project with one secret, written over TLS with the CA.
  const box2 = makeSandbox();
  const env = { ...box2.env, KRYPT_API_URL: url, KRYPT_TOKEN: token, KRYPT_CA_FILE: pki.caFile };
  expect((await krypt(['projects', 'create', 'svc'], { cwd: box2.cwd, env })).code).toBe(0);
  expect((await krypt(['set', '-p', 'svc', 'DB_PASSWORD=tls-secret-value'], { cwd: box2.cwd, env })).code).toBe(0);
}, 60_000);

afterAll(() => {
  killServerProcesses();
});

describe('krypt server start --tls-cert/--tls-key', () => {
  it('prints an https:// URL and accepts a TLS 1.3 handshake for the certificate of 127.0.0.1', async () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await handshake(port, pki.ca, { maxVersion: 'TLSv1.3' });
    expect(ok).toEqual({ protocol: 'TLSv1.3' });
  });

  it('refuses a client limited to TLS 1.2', async () => {
    const refused = await handshake(port, pki.ca, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(refused.protocol).toBeUndefined();
    expect(refused.error?.code).toMatch(/^ERR_SSL_/);
    expect(refused.error?.message).toMatch(/protocol version|unsupported protocol/i);
  });

  it('sends HSTS on 200, 404 and 401 responses', async () => {
    const health = await httpsCall(`${url}/healthz`, pki.ca);
    const missing = await httpsCall(`${url}/no/such/route`, pki.ca);
    const anonymous = await httpsCall(`${url}/v1/projects`, pki.ca);
    const bad = await httpsCall(`${url}/v1/projects`, pki.ca, { token: 'krypt_wrong' });
    const good = await httpsCall(`${url}/v1/projects`, pki.ca, { token });
    expect([health.status, missing.status, anonymous.status, bad.status, good.status]).toEqual([200, 404, 401, 401, 200]);
    for (const res of [health, missing, anonymous, bad, good]) expect(res.headers['strict-transport-security']).toBe(HSTS);
  });
});

describe('the CLI over TLS', () => {
  it('logs in with --ca-file, remembers the CA, and get/run work', async () => {
    const box = makeSandbox();
    const login = await krypt(['login', '--api-url', url, '--token-stdin', '--ca-file', pki.caFile], { cwd: box.cwd, env: box.env, input: token });
    expect(login.stderr).toContain('Logged in');
    expect(login.code).toBe(0);
    expect(JSON.parse(readFileSync(join(box.configDir, 'config.json'), 'utf8')).caFile).toBe(pki.caFile);
    const get = await krypt(['get', '-p', 'svc', 'DB_PASSWORD'], { cwd: box.cwd, env: box.env });
    expect(get).toMatchObject({ code: 0, stdout: 'tls-secret-value\n' });
    const run = await krypt(['run', '-p', 'svc', '--', 'sh', '-c', 'printf %s "$DB_PASSWORD"'], { cwd: box.cwd, env: box.env });
    expect(run).toMatchObject({ code: 0, stdout: 'tls-secret-value' });
  });

  it('trusts the CA from --ca-file on get/run, KRYPT_CA_FILE and NODE_EXTRA_CA_CERTS without a login', async () => {
    const box = makeSandbox();
    const env = { ...box.env, KRYPT_API_URL: url, KRYPT_TOKEN: token, KRYPT_PROJECT: 'svc' };
    const flag = await krypt(['get', 'DB_PASSWORD', '--ca-file', pki.caFile], { cwd: box.cwd, env });
    expect(flag).toMatchObject({ code: 0, stdout: 'tls-secret-value\n' });
    const fromEnv = await krypt(['run', '--', 'sh', '-c', 'printf %s "$DB_PASSWORD"'], { cwd: box.cwd, env: { ...env, KRYPT_CA_FILE: pki.caFile } });
    expect(fromEnv).toMatchObject({ code: 0, stdout: 'tls-secret-value' });
    const extra = await krypt(['get', 'DB_PASSWORD'], { cwd: box.cwd, env: { ...env, NODE_EXTRA_CA_CERTS: pki.caFile } });
    expect(extra).toMatchObject({ code: 0, stdout: 'tls-secret-value\n' });
    const typed = await krypt(['whoami', '--json'], { cwd: box.cwd, env: { ...env, NODE_EXTRA_CA_CERTS: pki.caFile } });
    expect(typed.code).toBe(0);
    expect(JSON.parse(typed.stdout).user.email).toBe('admin@krypt.local');
  });

  it('refuses an untrusted certificate with a clear message, exit 2, and no fallback to the offline copy', async () => {
    const box = makeSandbox();
    const env = { ...box.env, KRYPT_API_URL: url, KRYPT_TOKEN: token, KRYPT_PROJECT: 'svc' };
    // An offline copy exists (written by a trusted read) ...
    expect((await krypt(['get', 'DB_PASSWORD', '--ca-file', pki.caFile], { cwd: box.cwd, env })).code).toBe(0);
    // ... yet an untrusted certificate is never answered from it.
    for (const extra of [[], ['--ca-file', pki.otherCaFile]]) {
      const get = await krypt(['get', 'DB_PASSWORD', ...extra], { cwd: box.cwd, env });
      expect(get.code).toBe(2);
      expect(get.stdout).toBe('');
      expect(get.stderr).toMatch(new RegExp(`^Error: the certificate of ${url.replace(/[.]/g, '\\.')} is not trusted \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY): `, 'm'));
      expect(get.stderr).toMatch(/pass --ca-file \(or KRYPT_CA_FILE\) with your CA certificate/);
      expect(get.stderr).not.toMatch(/offline copy/);
    }
    const run = await krypt(['run', '--', 'true'], { cwd: box.cwd, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Error: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/m);
    const typed = await krypt(['whoami'], { cwd: box.cwd, env });
    expect(typed.code).toBe(2);
    expect(typed.stderr).toMatch(/^Error: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/m);
    const login = await krypt(['login', '--api-url', url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: token });
    expect(login.code).toBe(2);
    expect(login.stderr).toMatch(/is not trusted/);
  });

  it('ignores NODE_TLS_REJECT_UNAUTHORIZED=0: an untrusted certificate is still refused (exit 2), with one warning per command', async () => {
    const box = makeSandbox();
    const env = { ...box.env, KRYPT_API_URL: url, KRYPT_TOKEN: token, KRYPT_PROJECT: 'svc', NODE_TLS_REJECT_UNAUTHORIZED: '0' };
    const WARNING = 'Warning: NODE_TLS_REJECT_UNAUTHORIZED=0 is set; Krypt ignores it and still verifies certificates (use --ca-file for a private CA)\n';
    const warnings = (stderr: string) => stderr.split(WARNING).length - 1;
    // The start-up path (get, run, run --watch) and oclif commands.
    for (const args of [['get', 'DB_PASSWORD'], ['run', '--', 'true'], ['run', '--watch', '--', 'true'], ['whoami'], ['pull', '--stdout'], ['secrets', 'list']]) {
      const res = await krypt(args, { cwd: box.cwd, env });
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/^Error: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/m);
      expect(warnings(res.stderr), res.stderr).toBe(1);
    }
    const trusted = await krypt(['get', 'DB_PASSWORD', '--ca-file', pki.caFile], { cwd: box.cwd, env });
    expect(trusted).toMatchObject({ code: 0, stdout: 'tls-secret-value\n' });
    expect(warnings(trusted.stderr)).toBe(1);
    const quiet = await krypt(['get', 'DB_PASSWORD', '--ca-file', pki.caFile], { cwd: box.cwd, env: { ...env, NODE_TLS_REJECT_UNAUTHORIZED: '1' } });
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
  });

  it('explains a server that cannot speak TLS 1.3, and a missing CA file', async () => {
    const old = createHttpsServer({ cert: pki.cert, key: pki.key, maxVersion: 'TLSv1.2' }, (_req, res) => res.end('{}'));
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
    const oldUrl = `https://127.0.0.1:${(old.address() as AddressInfo).port}`;
    try {
      const box = makeSandbox();
      const env = { ...box.env, KRYPT_API_URL: oldUrl, KRYPT_TOKEN: token, KRYPT_PROJECT: 'svc', KRYPT_CA_FILE: pki.caFile };
      const get = await krypt(['get', 'DB_PASSWORD'], { cwd: box.cwd, env });
      expect(get.code).toBe(2);
      expect(get.stderr).toMatch(/^Error: cannot agree on TLS 1\.3 with https:\/\/127\.0\.0\.1:\d+ \((EPROTO|ERR_SSL_)\w*: (tlsv1 alert protocol version|unsupported protocol)\)$/m);
      const missing = await krypt(['get', 'DB_PASSWORD', '--ca-file', join(pki.dir, 'nope.pem')], { cwd: box.cwd, env });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^Error: the CA file .*nope\.pem does not exist/m);
    } finally {
      old.close();
    }
  });

  it('refuses plain http:// for a non-loopback host', async () => {
    const box = makeSandbox();
    const get = await krypt(['get', 'DB_PASSWORD', '-p', 'svc', '--api-url', 'http://10.1.2.3:8420'], { cwd: box.cwd, env: { ...box.env, KRYPT_TOKEN: token } });
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/^Error: refusing plain http:\/\/ for non-loopback host 10\.1\.2\.3/m);
  });
});

describe('listening rules and proxies', () => {
  it('refuses unreadable TLS files and a non-loopback host without TLS, allows it with TLS', async () => {
    const box = makeSandbox();
    const dataDir = join(box.home, 'data');
    const key = join(box.home, 'k');
    await krypt(['server', 'init', '--data-dir', dataDir, '--master-key-out', key], { cwd: box.cwd, env: box.env });
    const common = ['server', 'start', '--data-dir', dataDir, '--master-key-file', key, '--port', '0'];
    const noFile = await krypt([...common, '--tls-cert', join(box.home, 'missing.pem'), '--tls-key', pki.keyFile], { cwd: box.cwd, env: box.env });
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/^Error: TLS certificate file .*missing\.pem does not exist/m);
    const mismatch = await krypt([...common, '--tls-cert', pki.certFile, '--tls-key', join(pki.dir, 'ca.key')], { cwd: box.cwd, env: box.env });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/^Error: the TLS certificate and key cannot be used/m);
    const open = await krypt([...common, '--host', '0.0.0.0'], { cwd: box.cwd, env: box.env });
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without TLS/);

    const kdb = await openDatabase({ memory: true });
    const init = await initInstance({ database: kdb });
    const server = await startServer({ database: kdb, masterKey: parseMasterKey(init.masterKey), host: '0.0.0.0', port: 0, tls: { cert: pki.cert, key: pki.key }, logLevel: 'warn' });
    try {
      expect(server.url).toMatch(/^https:\/\/0\.0\.0\.0:\d+$/);
      const res = await httpsCall(`https://127.0.0.1:${server.port}/healthz`, pki.ca);
      expect(res.status).toBe(200);
    } finally {
      await server.close();
      await kdb.destroy();
    }
  });

  /** A server behind a (pretend) TLS-terminating proxy: the audit ip of one read sent with X-Forwarded-For. */
  async function readThroughProxy(trustedProxies: string[]): Promise<{ ip: string | null; hsts: string | null }> {
    const kdb = await openDatabase({ memory: true });
    const init = await initInstance({ database: kdb });
    let server: RunningServer | undefined;
    try {
      server = await startServer({ database: kdb, masterKey: parseMasterKey(init.masterKey), port: 0, behindTlsProxy: true, trustedProxies, logLevel: 'warn' });
      const headers = { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' };
      expect((await fetch(`${server.url}/v1/projects`, { method: 'POST', headers, body: JSON.stringify({ slug: 'px' }) })).status).toBe(201);
      const read = await fetch(`${server.url}/v1/projects/px/environments/development/secrets`, {
        headers: { ...headers, 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
      });
      expect(read.status).toBe(200);
      const row = await kdb.db.selectFrom('audit_log').select('ip').where('action', '=', 'secrets.read').executeTakeFirstOrThrow();
      return { ip: row.ip, hsts: read.headers.get('strict-transport-security') };
    } finally {
      await server?.close();
      await kdb.destroy();
    }
  }

  it('--behind-tls-proxy: X-Forwarded-For is honoured only from a --trusted-proxy, and HSTS is still sent', async () => {
    expect(await readThroughProxy(['127.0.0.1'])).toEqual({ ip: '203.0.113.7', hsts: HSTS });
    expect(await readThroughProxy(['10.0.0.5'])).toEqual({ ip: '127.0.0.1', hsts: HSTS });
    expect(await readThroughProxy([])).toEqual({ ip: '127.0.0.1', hsts: HSTS });
  });

  it('rejects a malformed --trusted-proxy', async () => {
    const box = makeSandbox();
    const args = ['server', 'start', '--data-dir', join(box.home, 'data'), '--behind-tls-proxy', '--trusted-proxy', '127.0.0.1', '--trusted-proxy', '10.0.0.0/8,not-an-ip'];
    const res = await krypt(args, { cwd: box.cwd, env: box.env });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^Error: invalid --trusted-proxy "not-an-ip"/m);
  });
});
