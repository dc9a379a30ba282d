import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KryptError } from '../../src/lib/errors.js';
import { buildChildEnv, FORWARDED_SIGNALS, runChild } from '../../src/lib/process/index.js';

const NODE = process.execPath;
const RUNNER = fileURLToPath(new URL('../fixtures/process/runner.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'krypt-process-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


// A child that prints "ready <runner pid>" once its handlers are installed.
function childScript(body: string): string {
  return `${body}\nconsole.log('ready ' + process.ppid);\nsetInterval(() => {}, 1000);`;
}

interface Started {
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: Promise<number>;
  write(data: string): void;
  pid: number;
}

// Runs `file args` with piped stdio; `ready` resolves with the pid the child printed.
function start(file: string, args: string[]): Started {
  const proc = spawn(file, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const ready = new Promise<number>((resolve) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      if (code !== 0 && code !== null && err !== '') process.stderr.write(err);
      resolve({ code, signal });
    });
  });
  return { exit, ready, write: (data) => proc.stdin.write(data), pid: proc.pid ?? -1 };
}

// runner.ts (runChild + process.exit) wrapping `node -e body`, with no terminal.
function startRunner(body: string): Started {
  return start(NODE, ['--import', 'tsx', RUNNER, NODE, '-e', childScript(body)]);
}

describe('runChild', () => {
  it('passes the exit code through', async () => {
    expect(await runChild({ command: NODE, args: ['-e', 'process.exit(42)'], env: process.env })).toBe(42);
    expect(await runChild({ command: NODE, args: ['-e', '0'], env: process.env })).toBe(0);
  });

  it('gives 128 + n for a child killed by signal n', async () => {
    const code = await runChild({ command: NODE, args: ['-e', "process.kill(process.pid, 'SIGTERM')"], env: process.env });
    expect(code).toBe(143);
  });

  it('hands the child exactly the env it is given', async () => {
    const code = await runChild({
      command: NODE,
      args: ['-e', "process.exit(process.env.K_SECRET === 'v=1 $x' && process.env.K_ABSENT === undefined ? 5 : 6)"],
      env: { K_SECRET: 'v=1 $x' },
    });
    expect(code).toBe(5);
  });

  it('runs a shell string with $SHELL -c, extra args as $1...', async () => {
    const env = { ...process.env, SHELL: '/bin/sh' };
    expect(await runChild({ command: 'exit $(( $1 + 1 ))', args: ['4'], env, shell: true })).toBe(5);
    expect(await runChild({ command: 'no-such-command-krypt-test 2>/dev/null', args: [], env, shell: true })).toBe(127);
  });

  it('removes its signal listeners once the child has exited', async () => {
    const before = FORWARDED_SIGNALS.map((s) => process.listenerCount(s));
    await runChild({ command: NODE, args: ['-e', '0'], env: process.env });
    await runChild({ command: 'krypt-no-such-command', args: [], env: process.env }).catch(() => undefined);
    expect(FORWARDED_SIGNALS.map((s) => process.listenerCount(s))).toEqual(before);
  });

  it('reports a missing command as command_not_found, naming only the command', async () => {
    const err = await runChild({ command: 'krypt-no-such-command', args: ['--token', 'sekrit-arg'], env: { K: 'sekrit-env' } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KryptError);
    expect(err).toMatchObject({ code: 'command_not_found', message: 'command not found: krypt-no-such-command', kind: 'local' });
    expect((err as KryptError).hint).toMatch(/PATH/);
  });

  it('reports a file that is not executable as command_not_executable', async () => {
    const file = join(tmp, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const err = await runChild({ command: file, args: [], env: process.env }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'command_not_executable', message: `permission denied: ${file}` });
  });

  it('never quotes the environment when Node refuses it', async () => {
    const err = await runChild({ command: NODE, args: ['-e', '0'], env: { K: 'sekrit\0value' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'spawn_failed' });
    expect((err as Error).message).not.toMatch(/sekrit/);
  });
});

describe('runChild signal forwarding (real processes)', () => {
  it('forwards SIGTERM to the child and exits with the code the child chose', async () => {
    const r = startRunner("process.on('SIGTERM', () => process.exit(7));");
    await r.ready;
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 7, signal: null });
  }, 20_000);

  it.each(['SIGINT', 'SIGHUP', 'SIGUSR1'] as const)('forwards %s when no terminal is involved', async (signal) => {
    const r = startRunner(`process.on('${signal}', () => process.exit(9));`);
    await r.ready;
    process.kill(r.pid, signal);
    expect(await r.exit).toEqual({ code: 9, signal: null });
  }, 20_000);

  it('gives 130 when the forwarded SIGINT kills the child', async () => {
    const r = startRunner('');
    await r.ready;
    process.kill(r.pid, 'SIGINT');
    expect(await r.exit).toEqual({ code: 130, signal: null });
  }, 20_000);

  // Under a pseudo-terminal (util-linux `script`), as `krypt run` in an interactive shell.
  const inTerminal = (body: string): Started =>
    start('script', ['-qec', `exec '${NODE}' --import tsx '${RUNNER}' '${NODE}' -e "${childScript(body)}"`, '/dev/null']);
  const countSigints = "let n = 0; process.on('SIGINT', () => { n += 1; if (n === 1) setTimeout(() => process.exit(10 + n), 700); });";

  it('delivers Ctrl-C once: the terminal reaches the child, the runner does not repeat it', async () => {
    const r = inTerminal(countSigints);
    await r.ready;
    r.write('\x03');
    expect((await r.exit).code).toBe(11);
  }, 20_000);

  it('does not forward a SIGINT sent to the runner alone when a terminal is attached', async () => {
    const r = inTerminal(`${countSigints} setTimeout(() => process.exit(20 + n), 1500);`);
    const runnerPid = await r.ready;
    process.kill(runnerPid, 'SIGINT');
    expect((await r.exit).code).toBe(20);
  }, 20_000);
});

describe('buildChildEnv', () => {
  const inherited = { PATH: '/usr/bin', HOME: '/home/u', EDITOR: 'vi', DB_URL: 'local', KRYPT_TOKEN: 'kt_x', UNSET: undefined };
  const secrets = { DB_URL: 'remote', API_KEY: 'k', PATH: '/evil', USER: 'mallory' };

  it('lets secrets override inherited variables, keeping reserved names and dropping KRYPT_TOKEN', () => {
    const { env, skippedReserved } = buildChildEnv({ inherited, secrets, preserveEnv: false, allowReserved: false });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/u', EDITOR: 'vi', DB_URL: 'remote', API_KEY: 'k' });
    expect(skippedReserved).toEqual(['PATH', 'USER']);
  });

  it('keeps every inherited variable over secrets with preserveEnv: true', () => {
    const { env } = buildChildEnv({ inherited, secrets, preserveEnv: true, allowReserved: false });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/u', EDITOR: 'vi', DB_URL: 'local', API_KEY: 'k' });
  });

  it('keeps only the named inherited variables with a preserveEnv list', () => {
    const { env } = buildChildEnv({
      inherited: { ...inherited, API_KEY: 'mine' },
      secrets,
      preserveEnv: ['DB_URL', 'NOT_INHERITED'],
      allowReserved: false,
    });
    expect(env).toMatchObject({ DB_URL: 'local', API_KEY: 'k' });
  });

  it('overrides reserved names with allowReserved', () => {
    const { env, skippedReserved } = buildChildEnv({ inherited, secrets, preserveEnv: false, allowReserved: true });
    expect(env).toMatchObject({ PATH: '/evil', USER: 'mallory' });
    expect(skippedReserved).toEqual([]);
  });

  it('removes KRYPT_TOKEN even when a secret or a preserved variable carries it', () => {
    const { env } = buildChildEnv({ inherited, secrets: { KRYPT_TOKEN: 'other' }, preserveEnv: ['KRYPT_TOKEN'], allowReserved: true });
    expect(env).not.toHaveProperty('KRYPT_TOKEN');
  });

  it('does not change its inputs', () => {
    const copy = { ...inherited };
    buildChildEnv({ inherited, secrets, preserveEnv: false, allowReserved: true });
    expect(inherited).toEqual(copy);
  });
});
