import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, krypt, makeSandbox } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// config.json and the offline copies under concurrent and killed `krypt` processes: every write is
// a rename of a complete temp file, so readers see the old file or a new one; temp files left by
// a killed writer are deleted by the next write of the same file; corrupt files are reported.

let srv: TestServer;
let otherToken: string;

beforeAll(async () => {
  srv = await startTestServer({ dialect: 'sqlite' });
  otherToken = await srv.createUser('other@example.com');
  expect((await srv.call('POST', '/v1/projects', { body: { slug: 'svc' } })).status).toBe(201);
  expect((await srv.call('PATCH', '/v1/projects/svc/environments/development/secrets', { body: { set: { API_KEY: 'value-one' } } })).status).toBe(200);
});
afterAll(async () => {
  await srv?.close();
});

/** Every temp file (`.*.tmp`) under the config directory, recursively. */
function tempFiles(configDir: string): string[] {
  if (!existsSync(configDir)) return [];
  return readdirSync(configDir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /^\..*\.tmp$/.test(d.name))
    .map((d) => join(d.parentPath, d.name));
}

/** config.json parsed; fails the test when it is not a complete JSON object. */
function readConfigFile(configDir: string): Record<string, unknown> {
  const text = readFileSync(join(configDir, 'config.json'), 'utf8');
  const parsed = JSON.parse(text) as unknown;
  expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
  return parsed as Record<string, unknown>;
}

/** Spawns `krypt ARGS` and SIGKILLs it after `killAfterMs` (if still running). */
function kryptKilledAfter(args: string[], env: Record<string, string>, cwd: string, input: string, killAfterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['pipe', 'ignore', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** A pid that certainly belongs to no running process: a child that has already exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('exit', () => resolve(child.pid!));
  });
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('config and offline-copy writes under concurrency and kills', () => {
  it('two concurrent logins both finish; config.json holds one of the two tokens, 0600, no temp files', async () => {
    for (let round = 0; round < 4; round++) {
      const box = makeSandbox();
      const login = (token: string) => krypt(['login', '--api-url', srv.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: token });
      const [a, b] = await Promise.all([login(srv.token), login(otherToken)]);
      expect([a.code, b.code]).toEqual([0, 0]);
      expect(a.stderr + b.stderr).not.toMatch(/Warning|Error/);
      const config = readConfigFile(box.configDir);
      expect([srv.token, otherToken]).toContain(config.token);
      expect(config.apiUrl).toBe(srv.url);
      expect(statSync(join(box.configDir, 'config.json')).mode & 0o777).toBe(0o600);
      expect(statSync(box.configDir).mode & 0o777).toBe(0o700);
      expect(tempFiles(box.configDir)).toEqual([]);
    }
  });

  it('a login racing a first read keeps both the token and the cache key', async () => {
    const box = makeSandbox();
    expect((await krypt(['login', '--api-url', srv.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: otherToken })).code).toBe(0);
    const [login, get] = await Promise.all([
      krypt(['login', '--api-url', srv.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: srv.token }),
      krypt(['get', '-p', 'svc', 'API_KEY', '--api-url', srv.url], { cwd: box.cwd, env: { ...box.env, KRYPT_TOKEN: srv.token } }),
    ]);
    expect([login.code, get.code, get.stdout]).toEqual([0, 0, 'value-one\n']);
    const config = readConfigFile(box.configDir);
    expect(config.token).toBe(srv.token);
    expect(config.cacheKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('SIGKILL at random moments never leaves a torn config.json or offline copy; leftovers go with the next write', async () => {
    const box = makeSandbox();
    const tokens = [srv.token, otherToken];
    expect((await krypt(['login', '--api-url', srv.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: srv.token })).code).toBe(0);
    const env = { ...box.env, KRYPT_TOKEN: srv.token };
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 2 === 0
            ? kryptKilledAfter(['login', '--api-url', srv.url, '--token-stdin'], box.env, box.cwd, tokens[i % 4 === 0 ? 0 : 1]!, 100 + Math.random() * 900)
            : kryptKilledAfter(['get', '-p', 'svc', 'API_KEY', '--api-url', srv.url], env, box.cwd, '', 50 + Math.random() * 600),
        ),
      );
      // Whatever was killed where: the file is one complete version, and a temp file is 0600.
      const config = readConfigFile(box.configDir);
      expect(tokens).toContain(config.token);
      expect(config.apiUrl).toBe(srv.url);
      if (config.cacheKey !== undefined) expect(config.cacheKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const tmp of tempFiles(box.configDir)) expect(statSync(tmp).mode & 0o777).toBe(0o600);
      const get = await krypt(['get', '-p', 'svc', 'API_KEY', '--api-url', srv.url], { cwd: box.cwd, env });
      expect([get.code, get.stdout]).toEqual([0, 'value-one\n']);
    }

    // A writer killed between creating its temp file and the rename, made certain here.
    const dead = await deadPid();
    const orphan = join(box.configDir, `.config.json.${dead}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(orphan, '{"token":"krypt_half', { mode: 0o600 });
    const cacheName = readdirSync(join(box.configDir, 'cache')).find((n) => n.endsWith('.bin'))!;
    writeFileSync(join(box.configDir, 'cache', `.${cacheName}.${dead}.${randomBytes(6).toString('hex')}.tmp`), 'half', { mode: 0o600 });
    // A live writer's temp file (this test process) is left alone.
    const live = join(box.configDir, `.config.json.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(live, '{}', { mode: 0o600 });

    expect((await krypt(['login', '--api-url', srv.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: srv.token })).code).toBe(0);
    const offline = await krypt(['get', '-p', 'svc', 'API_KEY', '--api-url', srv.url], { cwd: box.cwd, env });
    expect([offline.code, offline.stdout, offline.stderr]).toEqual([0, 'value-one\n', '']);
    expect(tempFiles(box.configDir)).toEqual([live]);
    expect(readConfigFile(box.configDir).token).toBe(srv.token);
  });
});

describe('corrupt files', () => {
  it('a corrupt config.json is a clear error (exit 1, hint, no stack) until `krypt login` replaces it', async () => {
    const box = makeSandbox();
    expect((await krypt(['login', '--api-url', srv.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: srv.token })).code).toBe(0);
    const file = join(box.configDir, 'config.json');
    writeFileSync(file, Buffer.concat([Buffer.from('{"token": "krypt_'), randomBytes(64), Buffer.from([0xff, 0xfe, 0x00])]));
    for (const args of [['whoami'], ['get', '-p', 'svc', 'API_KEY'], ['run', '-p', 'svc', '--', 'true'], ['list']]) {
      const res = await krypt(args, { cwd: box.cwd, env: box.env });
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr).toMatch(new RegExp(`^Error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid Krypt config file$`, 'm'));
      expect(res.stderr).toMatch(/^Hint: run `krypt login`/m);
      expect(res.stdout).toBe('');
      noStackTrace(res.stderr);
    }
    const login = await krypt(['login', '--api-url', srv.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: srv.token });
    expect(login.code).toBe(0);
    expect(login.stderr).toMatch(/^Warning: .* is not a valid Krypt config file; it will be replaced$/m);
    expect(readConfigFile(box.configDir).token).toBe(srv.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await krypt(['whoami'], { cwd: box.cwd, env: box.env })).code).toBe(0);
  });

  it('a corrupt offline copy is a warning; the command still works online and rewrites the copy', async () => {
    const box = makeSandbox();
    expect((await krypt(['login', '--api-url', srv.url, '--token-stdin'], { cwd: box.cwd, env: box.env, input: srv.token })).code).toBe(0);
    const get = () => krypt(['get', '-p', 'svc', 'API_KEY'], { cwd: box.cwd, env: box.env });
    expect((await get()).stdout).toBe('value-one\n');
    const cache = join(box.configDir, 'cache');
    const copies = readdirSync(cache).filter((n) => n.endsWith('.bin'));
    expect(copies).toHaveLength(1);
    writeFileSync(join(cache, copies[0]!), randomBytes(200));

    const damaged = await get();
    expect([damaged.code, damaged.stdout]).toEqual([0, 'value-one\n']);
    expect(damaged.stderr).toMatch(/^Warning: ignoring the offline copy of svc\/development: .*is not a valid offline copy/m);
    noStackTrace(damaged.stderr);
    const again = await get();
    expect([again.code, again.stdout, again.stderr]).toEqual([0, 'value-one\n', '']);
    // The rewritten copy works offline.
    const offline = await krypt(['get', '-p', 'svc', 'API_KEY', '--offline'], { cwd: box.cwd, env: box.env });
    expect([offline.code, offline.stdout]).toEqual([0, 'value-one\n']);
  });
});
