import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krypt, makeSandbox, type CliResult } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// bin/run.js runs every command without oclif (run and get without zod either); oclif runs them
// when it dispatches. One flag definition feeds both: the two paths must accept and reject the same
// arguments, print the same output and errors, and exit with the same codes.

const OCLIF_ENTRY = resolve(import.meta.dirname, '../fixtures/oclif-entry.mjs');

function viaOclif(args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [OCLIF_ENTRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  // every other client command starts from src/cli-main.ts, without oclif
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
  // the server's commands start from src/server-main.ts, without oclif
  ['server', 'start', '--bogus'],
  ['server', 'verify-audit', '--data-dir'],
  // what the start-up path cannot place is oclif's on both paths: a topic alone, a typo
  ['members'],
  ['membres', 'list'],
];

describe('every command: the start-up path and the oclif path agree', () => {
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
    const oclif = await viaOclif(args as string[], box.cwd, env);
    expect({ code: oclif.code, stdout: oclif.stdout, stderr: oclif.stderr }).toEqual({ code: hot.code, stdout: hot.stdout, stderr: hot.stderr });
  });

  it('really takes two different paths, and oclif still gives help', async () => {
    const help = await krypt(['run', '--help'], { cwd: box.cwd, env });
    expect(help.stdout).toContain('--preserve-env');
    expect(help.stdout).toContain('--max-stale');
    const usage = await krypt(['get', '--bogus'], { cwd: box.cwd, env });
    expect(usage.stderr).toBe('Error: unknown flag --bogus\nHint: run `krypt get --help`\n');
    expect(usage.code).toBe(1);
  });
});
