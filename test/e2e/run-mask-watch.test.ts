import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krypt, kryptCommand, makeSandbox } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';

// `krypt run --mask` and `krypt run --watch` through the real binary against a real server.

const SECRET = 'sk_live_abcdef123456';

describe('krypt run --mask and --watch', () => {
  let server: TestServer;
  const box = makeSandbox();
  let env: Record<string, string>;
  const write = (set: Record<string, string>) =>
    server.call('PATCH', '/v1/projects/live/environments/development/secrets', { body: { set } });

  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
    env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token, KRYPT_PROJECT: 'live' };
    await server.call('POST', '/v1/projects', { body: { slug: 'live' } });
    await write({ API_KEY: SECRET, SHORT: 'abc', VERSION: 'one' });
  });
  afterAll(() => server?.close());

  it('--mask hides every value longer than 3 characters, even split across writes, on stdout and stderr', async () => {
    const script = [
      'const v = process.env.API_KEY;',
      'process.stdout.write("key=" + v.slice(0, 7));',
      'setTimeout(() => { process.stdout.write(v.slice(7) + " short=" + process.env.SHORT + "\\n"); console.error("err " + v); process.exit(3); }, 50);',
    ].join(' ');
    const res = await krypt(['run', '--mask', '--', 'node', '-e', script], { cwd: box.cwd, env });
    expect(res.stdout).toBe('key=***** short=abc\n');
    expect(res.stderr).toBe('err *****\n');
    expect(res.code).toBe(3);
    const plain = await krypt(['run', '--', 'node', '-e', 'process.stdout.write(process.env.API_KEY)'], { cwd: box.cwd, env });
    expect(plain.stdout).toBe(SECRET);
    const killed = await krypt(['run', '--mask', '--', 'sh', '-c', 'echo "$API_KEY"; kill -TERM $$'], { cwd: box.cwd, env });
    expect(killed.stdout).toBe('*****\n');
    expect(killed.code).toBe(143);
  });

  function startWatched(args: string[]) {
    const [file, argv] = kryptCommand(['run', '--watch', ...args]);
    const child = spawn(file, argv, { cwd: box.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const waitFor = async (re: RegExp) => {
      await until(() => re.test(stdout) || child.exitCode !== null, { what: `${re} on stdout` });
      expect(stdout, stderr).toMatch(re);
    };
    return { child, exited, waitFor, out: () => stdout, err: () => stderr };
  }

  it('--watch restarts the command with the new value when the environment changes', async () => {
    const app = startWatched(['--', 'node', '-e', 'console.log("version=" + process.env.VERSION); setInterval(() => {}, 1000)']);
    await app.waitFor(/version=one\n/);
    await write({ VERSION: 'two' });
    await app.waitFor(/version=two\n/);
    expect(app.err()).toContain('restarting');
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(143);
  });

  it('--on-change signal:SIGHUP signals the running command instead of restarting it', async () => {
    const script = 'console.log("started " + process.pid); process.on("SIGHUP", () => console.log("reload")); process.on("SIGTERM", () => process.exit(7)); setInterval(() => {}, 1000)';
    const app = startWatched(['--on-change', 'signal:SIGHUP', '--', 'node', '-e', script]);
    await app.waitFor(/started \d+\n/);
    await write({ VERSION: 'three' });
    await app.waitFor(/reload\n/);
    expect(app.out().match(/started/g)).toHaveLength(1);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(7);
  });

  it('refuses --on-change without --watch, and a bad signal name', async () => {
    expect((await krypt(['run', '--on-change', 'signal:SIGHUP', '--', 'true'], { cwd: box.cwd, env })).code).toBe(1);
    const bad = await krypt(['run', '--watch', '--on-change', 'signal:NOPE', '--', 'true'], { cwd: box.cwd, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: --on-change must be restart or signal:NAME/);
  });
});
