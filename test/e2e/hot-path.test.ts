import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krypt, makeSandbox, type CliResult } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// bin/run.js picks a start-up path per command line: run and get start without zod
// (dist/bundle/fast-path.js), the server's commands from the unbundled dist/server-main.js, the rest
// from dist/bundle/cli-main.js, which holds the whole command tree. One definition per command feeds
// all of them: sent straight to cli-main instead, every command line must be accepted or refused
// alike, print the same output and errors, and exit with the same code.

const CLI_MAIN_ENTRY = resolve(import.meta.dirname, '../fixtures/cli-main-entry.mjs');

function viaCliMain(args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN_ENTRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

const CASES: string[][] = [
  ['get', 'PLAIN'],
  ['get', 'PLAIN', 'MULTI', '-n'],
  ['get', 'MULTI', '--json'],
  ['get', '-pparity', 'PLAIN'],
  ['get'],
  ['get', '--bogus', 'PLAIN'],
  ['get', '1BAD'],
  ['get', 'PLAIN', '--env', 'qa'],
  ['get', 'PLAIN', '--project'],
  ['get', 'PLAIN', '-n', '-n'],
  ['get', 'PLAIN', '--json=yes'],
  ['get', 'MISSING'],
  ['get', 'MISSING', '--json'],
  ['get', 'PLAIN', '--max-stale', 'soon'],
  ['get', 'PLAIN', '--project', 'no-such-project'],
  ['run'],
  ['run', '--command', 'true', '--', 'true'],
  ['run', 'stray', '--', 'true'],
  ['run', '--nope', '--', 'true'],
  ['run', '--', 'sh', '-c', 'printf "%s|%s" "$PLAIN" "$MULTI"; exit 3'],
  ['run', '--only', 'PLAIN', '--', 'sh', '-c', 'printf "[%s][%s]" "$PLAIN" "$MULTI"'],
  ['run', '--only', 'NOPE', '--', 'true'],
  ['run', '--preserve-env=PLAIN', '--', 'sh', '-c', 'printf %s "$PLAIN"'],
  ['run', '--command', 'printf %s "$PLAIN"'],
  ['run', '--', 'no-such-command-krypt'],
  // every other client command starts from src/cli-main.ts on both sides
  ['whoami'],
  ['whoami', '--json'],
  ['list'],
  ['secrets', 'list'],
  ['secrets:list', '--json'],
  ['pull', '--stdout'],
  ['pull', '--stdout', '--format', 'json'],
  ['pull', '--bogus'],
  ['cr', 'list'],
  ['change-requests', 'list', '--json'],
  ['members', 'list'],
  ['set'],
  ['set', '1BAD=x'],
  ['unset'],
  ['projects', 'create'],
  ['keys', 'revoke'],
  // the server's commands start from src/server-main.ts
  ['server', 'start', '--bogus'],
  ['server', 'verify-audit', '--data-dir'],
  // help, a topic alone, typos, the version
  ['members'],
  ['membres', 'list'],
  ['members', 'inviet'],
  ['run', '--help'],
  ['get', '-h'],
  ['server', 'start', '--help'],
  ['server'],
  ['help', 'pull'],
  ['--version'],
];

describe('every command: the start-up paths agree', () => {
  let server: TestServer;
  const box = makeSandbox();
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
    env = { ...box.env, KRYPT_API_URL: server.url, KRYPT_TOKEN: server.token, KRYPT_PROJECT: 'parity', PLAIN: 'inherited' };
    await server.call('POST', '/v1/projects', { body: { slug: 'parity' } });
    await server.call('PATCH', '/v1/projects/parity/environments/development/secrets', { body: { set: { PLAIN: 'plain value', MULTI: 'line 1\nline 2' } } });
  });
  afterAll(() => server?.close());

  it.each(CASES.map((c) => [c.join(' '), c]))('krypt %s', async (_label, args) => {
    const hot = await krypt(args as string[], { cwd: box.cwd, env });
    const whole = await viaCliMain(args as string[], box.cwd, env);
    // Under KRYPT_BIN the first side is the standalone binary, which runs on bun: the version line names its runtime.
    const same = (r: CliResult) => ({ code: r.code, stdout: r.stdout.replace(/ (node-v|bun-)\S+$/m, ' RUNTIME'), stderr: r.stderr });
    expect(same(whole)).toEqual(same(hot));
  });

  it('help and usage errors come out as users read them', async () => {
    const help = await krypt(['run', '--help'], { cwd: box.cwd, env });
    expect(help.stdout).toContain('--preserve-env');
    expect(help.stdout).toContain('--max-stale');
    const usage = await krypt(['get', '--bogus'], { cwd: box.cwd, env });
    expect(usage.stderr).toBe('Error: unknown flag --bogus\nHint: run `krypt get --help`\n');
    expect(usage.code).toBe(1);
  });
});
