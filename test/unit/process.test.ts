import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KryptError } from '../../src/lib/errors.js';
import {
  buildChildEnv,
  DEFAULT_KILL_GRACE_MS,
  findExecutable,
  FORWARDED_SIGNALS,
  quoteForCmd,
  runChild,
  superviseWithReload,
  type RunChildOptions,
} from '../../src/lib/process/index.js';
import { CHILD, childReady, ended, GRANDCHILD_SH, isRunning, removeRunner, startInTerminal, startRunner, stopStarted, STUBBORN_GRANDCHILD_SH } from '../helpers/process-runner.js';

const NODE = process.execPath;
const tmp = mkdtempSync(join(tmpdir(), 'krypt-process-'));
afterEach(stopStarted);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  removeRunner();
});

// `krypt run` and `krypt run --watch` share one supervisor: every supervision test runs against
// both, the watch variant supervising the same child with no reload ever triggered.
const MODES = [
  { mode: 'run', flags: [] as string[], supervise: (opts: RunChildOptions) => runChild(opts) },
  { mode: 'run --watch', flags: ['--watch'], supervise: (opts: RunChildOptions) => superviseWithReload(opts).exited },
];

describe.each(MODES)('$mode: the child and its exit code', ({ supervise }) => {
  it('passes the exit code through', async () => {
    expect(await supervise({ command: NODE, args: ['-e', 'process.exit(42)'], env: process.env })).toBe(42);
    expect(await supervise({ command: NODE, args: ['-e', '0'], env: process.env })).toBe(0);
  });

  it('gives 128 + n for a child killed by signal n', async () => {
    expect(await supervise({ command: NODE, args: ['-e', "process.kill(process.pid, 'SIGTERM')"], env: process.env })).toBe(143);
    expect(await supervise({ command: '/bin/sh', args: ['-c', 'kill -KILL $$'], env: process.env })).toBe(137);
  });

  it('hands the child exactly the env it is given', async () => {
    const code = await supervise({
      command: NODE,
      args: ['-e', "process.exit(process.env.K_SECRET === 'v=1 $x' && process.env.K_ABSENT === undefined ? 5 : 6)"],
      env: { K_SECRET: 'v=1 $x' },
    });
    expect(code).toBe(5);
  });

  it('runs a shell string with $SHELL -c, extra args as $1...', async () => {
    const env = { ...process.env, SHELL: '/bin/sh' };
    expect(await supervise({ command: 'exit $(( $1 + 1 ))', args: ['4'], env, shell: true })).toBe(5);
    expect(await supervise({ command: 'no-such-command-krypt-test 2>/dev/null', args: [], env, shell: true })).toBe(127);
  });

  it('removes its signal listeners once the child has exited', async () => {
    const before = FORWARDED_SIGNALS.map((s) => process.listenerCount(s));
    await supervise({ command: NODE, args: ['-e', '0'], env: process.env });
    await supervise({ command: 'krypt-no-such-command', args: [], env: process.env }).catch(() => undefined);
    expect(FORWARDED_SIGNALS.map((s) => process.listenerCount(s))).toEqual(before);
  });

  it('reports a missing command as command_not_found, naming only the command', async () => {
    const err = await supervise({ command: 'krypt-no-such-command', args: ['--token', 'sekrit-arg'], env: { K: 'sekrit-env' } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KryptError);
    expect(err).toMatchObject({ code: 'command_not_found', message: 'command not found: krypt-no-such-command', kind: 'local' });
    expect((err as KryptError).hint).toMatch(/PATH/);
  });

  it('reports a file that is not executable as command_not_executable', async () => {
    const file = join(tmp, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const err = await supervise({ command: file, args: [], env: process.env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KryptError);
    expect(err).toMatchObject({ code: 'command_not_executable', message: `permission denied: ${file}` });
  });

  it('never quotes the environment when Node refuses it', async () => {
    const err = await supervise({ command: NODE, args: ['-e', '0'], env: { K: 'sekrit\0value' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KryptError);
    expect(err).toMatchObject({ code: 'spawn_failed' });
    expect((err as Error).message).not.toMatch(/sekrit/);
  });
});

describe.each(MODES)('$mode: signal forwarding without a terminal (real processes)', ({ flags }) => {
  // The runner (see test/fixtures/process/runner.ts) supervising `node child.mjs ...args`.
  const runner = (args: string[], more: string[] = []) => startRunner([...flags, ...more], NODE, [CHILD, ...args]);

  it('forwards SIGTERM to the child and exits with the code the child chose', async () => {
    const r = runner(['SIGTERM=exit:7']);
    await childReady(r);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 7, signal: null });
  });

  it.each(['SIGINT', 'SIGHUP', 'SIGUSR1'] as const)('forwards %s', async (signal) => {
    const r = runner([`${signal}=exit:9`]);
    await childReady(r);
    process.kill(r.pid, signal);
    expect(await r.exit).toEqual({ code: 9, signal: null });
  });

  it.each([
    ['SIGINT', 130],
    ['SIGQUIT', 131],
  ] as const)('gives 128 + n when the forwarded %s kills the child', async (signal, code) => {
    const r = runner([]);
    await childReady(r);
    process.kill(r.pid, signal);
    expect(await r.exit).toEqual({ code, signal: null });
  });

  it('forwards SIGQUIT, SIGHUP and SIGUSR1 every time and never escalates them to SIGKILL', async () => {
    const r = runner(['SIGQUIT=log', 'SIGHUP=log', 'SIGUSR1=log'], ['--grace-ms=0']);
    await childReady(r);
    for (const signal of ['SIGQUIT', 'SIGHUP', 'SIGUSR1'] as const) {
      process.kill(r.pid, signal);
      await r.waitFor(new RegExp(`got ${signal} 1`));
      process.kill(r.pid, signal);
      await r.waitFor(new RegExp(`got ${signal} 2`));
    }
    r.write('exit 5\n');
    expect(await r.exit).toEqual({ code: 5, signal: null });
    expect(r.text('stderr')).not.toMatch(/SIGKILL/);
  });

  // A child that ignores SIGTERM (printing each one) and exits 10 + that count on SIGINT.
  const ignoresTerm = ['SIGTERM=log', 'SIGINT=exit:10+SIGTERM'];

  it('kills a child that ignores SIGTERM when SIGTERM repeats after the grace period (128 + 9)', async () => {
    const r = runner(ignoresTerm, ['--grace-ms=0']);
    await childReady(r);
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/got SIGTERM 1/);
    expect(r.running()).toBe(true);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 137, signal: null });
    expect((await r.waitFor(/krypt: .*/, 'stderr'))[0]).toMatch(/^krypt: node \(pid \d+\) is still running after SIGTERM; sending SIGKILL$/);
  });

  it('drops a repeat within the grace period, saying when a repeat will kill, but delivers a different stop signal', async () => {
    const r = runner(ignoresTerm, ['--grace-ms=60000']);
    await childReady(r);
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/got SIGTERM 1/);
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/krypt: waiting for node \(pid \d+\) to exit; send SIGTERM again in (59|60)s or later to kill it/, 'stderr');
    // The child saw one SIGTERM, not two; the first SIGINT still reaches it.
    process.kill(r.pid, 'SIGINT');
    expect(await r.exit).toEqual({ code: 11, signal: null });
  });

  it('waits two seconds by default before a repeat kills', () => {
    expect(DEFAULT_KILL_GRACE_MS).toBe(2_000);
  });

  it('runs the child in its own process group, so signals reach grandchildren: SIGTERM ends both', async () => {
    const r = startRunner(flags, '/bin/sh', [GRANDCHILD_SH]);
    const grandchild = Number((await r.waitFor(/grandchild (\d+)/))[1]);
    expect(isRunning(grandchild)).toBe(true);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 143, signal: null });
    await ended(grandchild, 'the grandchild');
  });

  it('sends SIGTERM to what is left of the group when the child exits after SIGINT (sh background jobs ignore SIGINT)', async () => {
    const r = startRunner(flags, '/bin/sh', [GRANDCHILD_SH]);
    const grandchild = Number((await r.waitFor(/grandchild (\d+)/))[1]);
    process.kill(r.pid, 'SIGINT');
    expect(await r.exit).toEqual({ code: 130, signal: null });
    await ended(grandchild, 'the grandchild');
  });

  it('kills the whole group on escalation, grandchildren that ignore SIGTERM included', async () => {
    const r = startRunner([...flags, '--grace-ms=0'], '/bin/sh', [STUBBORN_GRANDCHILD_SH]);
    const grandchild = Number((await r.waitFor(/grandchild (\d+)/))[1]);
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/term/);
    expect(isRunning(grandchild)).toBe(true);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 137, signal: null });
    await ended(grandchild, 'the grandchild');
  });

  it('lets the child lead its own process group', async () => {
    const r = runner([]);
    const child = await childReady(r);
    expect(child.parent).toBe(r.pid);
    expect(child.group).toBe(child.pid);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 143, signal: null });
  });
});

describe.each(MODES)('$mode: under a terminal (util-linux script, as in an interactive shell)', ({ flags }) => {
  // SIGUSR2 is an ordering barrier: krypt forwards it, and handles signals in the order they came,
  // so once the child has it, krypt has acted on every signal before it. The child exits with
  // BASE + the number of SIGINTs it saw.
  const countSigints = (base: number) => ['SIGINT=log', `SIGUSR2=exit:${base}+SIGINT`];

  it('delivers Ctrl-C once: the terminal reaches the child, the runner does not repeat it', async () => {
    const r = startInTerminal(flags, countSigints(10));
    const { parent: runner } = await childReady(r);
    r.write('\x03');
    await r.waitFor(/got SIGINT 1/);
    process.kill(runner, 'SIGUSR2');
    expect((await r.exit).code).toBe(11);
  });

  it('ends a child that ignores SIGINT when Ctrl-C is pressed again (SIGKILL: 128 + 9)', async () => {
    const r = startInTerminal(flags, ['SIGINT=log']);
    await childReady(r);
    r.write('\x03');
    await r.waitFor(/got SIGINT 1/);
    expect(r.running()).toBe(true);
    // Two presses a few milliseconds apart can reach krypt as one signal (the kernel merges a
    // pending one), so press on, well inside the window, until it acts: the second press krypt sees kills.
    const presses = setInterval(() => r.write('\x03'), 150);
    const exit = await r.exit.finally(() => clearInterval(presses));
    expect(exit.code).toBe(137);
    expect((await r.waitFor(/krypt: .*still running.*/))[0]).toMatch(/krypt: node \(pid \d+\) is still running after SIGINT; sending SIGKILL/);
  });

  it('lets a child live on through Ctrl-C presses further apart than the window (psql, REPLs)', async () => {
    const windowMs = 200;
    const r = startInTerminal([...flags, `--window-ms=${windowMs}`], ['SIGINT=log', 'SIGUSR1=log', 'SIGUSR2=exit:20+SIGINT']);
    const { parent: runner } = await childReady(r);
    r.write('\x03');
    await r.waitFor(/got SIGINT 1/);
    // Once the child has the SIGUSR1 sent after it, krypt has seen the first press.
    process.kill(runner, 'SIGUSR1');
    await r.waitFor(/got SIGUSR1 1/);
    // The gap between the presses is what is under test, not a way to synchronise.
    await new Promise((resolve) => setTimeout(resolve, windowMs + 50));
    r.write('\x03');
    await r.waitFor(/got SIGINT 2/);
    process.kill(runner, 'SIGUSR2');
    expect((await r.exit).code).toBe(22);
  });

  it("keeps the child in the terminal's process group", async () => {
    const r = startInTerminal(flags, []);
    const child = await childReady(r);
    expect(child.group).toBe(child.parent);
    r.write('\x03');
    expect((await r.exit).code).toBe(130);
  });

  it('counts output on a terminal as a terminal even when stdin is not one (cmd | krypt run -- less)', async () => {
    const r = startInTerminal(flags, [], { stdinNotTerminal: true });
    const child = await childReady(r);
    expect(child.group).toBe(child.parent);
    r.write('\x03');
    expect((await r.exit).code).toBe(130);
  });

  it('does not forward a SIGINT sent to the runner alone', async () => {
    const r = startInTerminal(flags, countSigints(20));
    const { parent: runner } = await childReady(r);
    process.kill(runner, 'SIGINT');
    process.kill(runner, 'SIGUSR2');
    expect((await r.exit).code).toBe(20);
  });
});

describe('findExecutable', () => {
  const files = new Set(['C:\\bin\\tool.exe', 'C:\\Program Files\\nodejs\\npm', 'C:\\Program Files\\nodejs\\npm.cmd', 'C:\\Program Files\\nodejs\\node.exe', 'C:\\bin\\both.cmd', 'C:\\bin\\both.exe', 'C:\\late\\both.com', 'tools\\build.bat', 'C:\\bin\\app.js']);
  const lookup = (path: string | undefined, pathExt: string | undefined = '.COM;.EXE;.BAT;.CMD') => ({
    platform: 'win32' as const,
    path,
    pathExt,
    exists: (f: string) => files.has(f),
  });
  const PATH = 'C:\\bin;;"C:\\Program Files\\nodejs";C:\\late';

  it('finds npm.cmd for npm, never the extensionless shell script beside it', () => {
    expect(findExecutable('npm', lookup(PATH))).toBe('C:\\Program Files\\nodejs\\npm.cmd');
  });

  it('searches directory by directory, trying PATHEXT in its order within each', () => {
    expect(findExecutable('both', lookup(PATH))).toBe('C:\\bin\\both.exe');
    expect(findExecutable('both', lookup(PATH, '.CMD;.EXE'))).toBe('C:\\bin\\both.cmd');
    expect(findExecutable('both', lookup('C:\\late;C:\\bin'))).toBe('C:\\late\\both.com');
  });

  it('takes a name that already has an executable extension as it is', () => {
    expect(findExecutable('node.exe', lookup(PATH))).toBe('C:\\Program Files\\nodejs\\node.exe');
    expect(findExecutable('NPM.CMD', lookup(PATH, '.cmd'))).toBeUndefined(); // exists() is case-sensitive here; Windows' is not
  });

  it('does not run a file whose extension is not in PATHEXT', () => {
    expect(findExecutable('app.js', lookup(PATH))).toBeUndefined();
    expect(findExecutable('app.js', lookup(PATH, '.JS;.EXE'))).toBe('C:\\bin\\app.js');
  });

  it('does not search PATH for a name with a directory part, nor the current directory for a bare name', () => {
    expect(findExecutable('tools\\build', lookup(PATH))).toBe('tools\\build.bat');
    expect(findExecutable('C:\\bin\\tool', lookup(undefined))).toBe('C:\\bin\\tool.exe');
    expect(findExecutable('build', lookup('tools;C:\\nowhere'))).toBe('tools\\build.bat');
    expect(findExecutable('build', lookup(PATH))).toBeUndefined();
  });

  it('uses the default PATHEXT when none is set, and finds nothing without PATH', () => {
    expect(findExecutable('tool', lookup(PATH, undefined))).toBe('C:\\bin\\tool.exe');
    expect(findExecutable('tool', lookup(undefined))).toBeUndefined();
  });

  it('leaves the command to execvp elsewhere than Windows', () => {
    const exists = (): boolean => {
      throw new Error('not called');
    };
    expect(findExecutable('npm', { platform: 'linux', path: '/usr/bin', pathExt: '.CMD', exists })).toBe('npm');
  });
});

describe('quoteForCmd', () => {
  it('quotes for the program and caret-escapes every cmd.exe metacharacter', () => {
    expect(quoteForCmd('plain')).toBe('^"plain^"');
    expect(quoteForCmd('a b&c|d')).toBe('^"a^ b^&c^|d^"');
    expect(quoteForCmd('%PATH%!x!')).toBe('^"^%PATH^%^!x^!^"');
    expect(quoteForCmd('')).toBe('^"^"');
  });

  it('doubles backslashes before a quote and at the end, and escapes the quote', () => {
    expect(quoteForCmd('say "hi"')).toBe('^"say^ \\^"hi\\^"^"');
    expect(quoteForCmd('a\\"b')).toBe('^"a\\\\\\^"b^"');
    expect(quoteForCmd('C:\\dir\\')).toBe('^"C:\\dir\\\\^"');
    expect(quoteForCmd('C:\\a\\b')).toBe('^"C:\\a\\b^"');
  });

  it('escapes twice for npm shims, which cmd.exe parses again', () => {
    expect(quoteForCmd('a&b', true)).toBe('^^^"a^^^&b^^^"');
  });
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
