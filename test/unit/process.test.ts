import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KryptError } from '../../src/lib/errors.js';
import { buildChildEnv, DEFAULT_KILL_GRACE_MS, findExecutable, FORWARDED_SIGNALS, quoteForCmd, runChild } from '../../src/lib/process/index.js';

const NODE = process.execPath;
const RUNNER = fileURLToPath(new URL('../fixtures/process/runner.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'krypt-process-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


// A child that prints "ready <runner pid>" once its handlers are installed.
function childScript(body: string): string {
  return `${body}\nconsole.log('ready ' + process.ppid);\nsetInterval(() => {}, 1000);`;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

interface Started {
  exit: Promise<Exit>;
  ready: Promise<number>;
  /** Resolves with the first match of `re` in everything the process wrote to `stream` so far or later. */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
  write(data: string): void;
  running(): boolean;
  pid: number;
}

// Runs `file args` with piped stdio; `ready` resolves with the pid the child printed.
function start(file: string, args: string[]): Started {
  const proc = spawn(file, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const waiters: { re: RegExp; stream: 'stdout' | 'stderr'; resolve: (m: RegExpExecArray) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = w.re.exec(text[w.stream]);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const waitFor = (re: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpExecArray> =>
    new Promise((resolve) => {
      waiters.push({ re, stream, resolve });
      check();
    });
  for (const stream of ['stdout', 'stderr'] as const) {
    proc[stream].on('data', (chunk: Buffer) => {
      text[stream] += chunk.toString();
      check();
    });
  }
  let exited = false;
  const exit = new Promise<Exit>((resolve) => {
    proc.on('exit', (code, signal) => {
      exited = true;
      // A crash of the runner itself (not the child's chosen code): show why.
      if (/Error/.test(text.stderr)) process.stderr.write(text.stderr);
      resolve({ code, signal });
    });
  });
  const ready = waitFor(/ready (\d+)/).then((m) => Number(m[1]));
  return { exit, ready, waitFor, write: (data) => proc.stdin.write(data), running: () => !exited, pid: proc.pid ?? -1 };
}

// runner.ts (runChild + process.exit) wrapping `node -e body`, with no terminal.
function startRunner(body: string, runnerArgs: string[] = []): Started {
  return start(NODE, ['--import', 'tsx', RUNNER, ...runnerArgs, NODE, '-e', childScript(body)]);
}

// runner.ts wrapping `sh -c script`, with no terminal.
function startShell(script: string, runnerArgs: string[] = []): Started {
  return start(NODE, ['--import', 'tsx', RUNNER, ...runnerArgs, '/bin/sh', '-c', script]);
}

// Whether pid is a live process: a zombie (killed, not yet reaped by whoever inherited it) is not.
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

// Polls for the end of a process we cannot wait() on (not our child); false if still running after 5 s.
async function ended(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i += 1) {
    if (!isRunning(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
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

  // A child that ignores SIGTERM (printing each one) and exits 10 + that count on SIGINT.
  const ignoresTerm = "let t = 0; process.on('SIGTERM', () => console.log('term ' + ++t)); process.on('SIGINT', () => process.exit(10 + t));";

  it('kills a child that ignores SIGTERM when SIGTERM repeats after the grace period (128 + 9)', async () => {
    const r = startRunner(ignoresTerm, ['--grace-ms=0']);
    await r.ready;
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/term 1/);
    expect(r.running()).toBe(true);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 137, signal: null });
    expect((await r.waitFor(/krypt: .*/, 'stderr'))[0]).toMatch(/^krypt: node \(pid \d+\) is still running after SIGTERM; sending SIGKILL$/);
  }, 20_000);

  it('drops a repeat within the grace period, saying when a repeat will kill, but delivers a different stop signal', async () => {
    const r = startRunner(ignoresTerm, ['--grace-ms=60000']);
    await r.ready;
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/term 1/);
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/krypt: waiting for node \(pid \d+\) to exit; send SIGTERM again in (59|60)s or later to kill it/, 'stderr');
    // The child saw one SIGTERM, not two; the first SIGINT still reaches it.
    process.kill(r.pid, 'SIGINT');
    expect(await r.exit).toEqual({ code: 11, signal: null });
  }, 20_000);

  it('waits two seconds by default before a repeat kills', () => {
    expect(DEFAULT_KILL_GRACE_MS).toBe(2_000);
  });

  it('runs the child in its own process group, so signals reach grandchildren: SIGTERM ends both', async () => {
    const r = startShell('sleep 100 & echo "ready $!"; wait');
    const grandchild = await r.ready;
    expect(isRunning(grandchild)).toBe(true);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 143, signal: null });
    expect(await ended(grandchild)).toBe(true);
  }, 20_000);

  it('sends SIGTERM to what is left of the group when the child exits after SIGINT (sh background jobs ignore SIGINT)', async () => {
    const r = startShell('sleep 100 & echo "ready $!"; wait');
    const grandchild = await r.ready;
    process.kill(r.pid, 'SIGINT');
    expect(await r.exit).toEqual({ code: 130, signal: null });
    expect(await ended(grandchild)).toBe(true);
  }, 20_000);

  it('kills the whole group on escalation, grandchildren that ignore SIGTERM included', async () => {
    // The child traps SIGTERM, says so and keeps waiting; the grandchild ignores it (and says ready once it does).
    const r = startShell(
      `trap 'echo term' TERM; sh -c 'trap "" TERM; echo "ready $$"; exec sleep 100' & while :; do wait; done`,
      ['--grace-ms=0'],
    );
    const grandchild = await r.ready;
    process.kill(r.pid, 'SIGTERM');
    await r.waitFor(/term/);
    expect(isRunning(grandchild)).toBe(true);
    process.kill(r.pid, 'SIGTERM');
    expect(await r.exit).toEqual({ code: 137, signal: null });
    expect(await ended(grandchild)).toBe(true);
  }, 20_000);

  // /proc/self/stat: "pid (comm) state ppid pgrp ..."
  const printGroup = "const f = require('fs').readFileSync('/proc/self/stat', 'utf8').slice(1 + require('fs').readFileSync('/proc/self/stat', 'utf8').lastIndexOf(')')).trim().split(' '); console.log('group ' + f[2]);";

  it('without a terminal, the child leads its own process group', async () => {
    const r = startRunner(printGroup);
    const [, group] = (await r.waitFor(/group (\d+)/)).map(Number);
    const runnerPid = await r.ready;
    expect(runnerPid).toBe(r.pid);
    expect(group).not.toBe(r.pid);
    process.kill(r.pid, 'SIGTERM');
    await r.exit;
  }, 20_000);

  // Under a pseudo-terminal (util-linux `script`), as `krypt run` in an interactive shell.
  const inTerminal = (body: string, runnerArgs: string[] = []): Started =>
    start('script', ['-qec', `exec '${NODE}' --import tsx '${RUNNER}' ${runnerArgs.join(' ')} '${NODE}' -e "${childScript(body)}"`, '/dev/null']);
  const countSigints = "let n = 0; process.on('SIGINT', () => { n += 1; if (n === 1) setTimeout(() => process.exit(10 + n), 700); });";

  it('delivers Ctrl-C once: the terminal reaches the child, the runner does not repeat it', async () => {
    const r = inTerminal(countSigints);
    await r.ready;
    r.write('\x03');
    expect((await r.exit).code).toBe(11);
  }, 20_000);

  const ignoresSigint = "let n = 0; process.on('SIGINT', () => { console.log('int ' + ++n); if (n === 2) setTimeout(() => process.exit(22), 500); });";

  it('ends a child that ignores SIGINT when Ctrl-C is pressed again (SIGKILL: 128 + 9)', async () => {
    const r = inTerminal(ignoresSigint);
    await r.ready;
    r.write('\x03');
    await r.waitFor(/int 1/);
    expect(r.running()).toBe(true);
    // Two presses a few milliseconds apart can reach krypt as one signal (the kernel merges a
    // pending one), so press on, well inside the window, until it acts: the second press krypt sees kills.
    const presses = setInterval(() => r.write('\x03'), 150);
    const exit = await r.exit.finally(() => clearInterval(presses));
    expect(exit.code).toBe(137);
    expect((await r.waitFor(/krypt: .*still running.*/))[0]).toMatch(/krypt: node \(pid \d+\) is still running after SIGINT; sending SIGKILL/);
  }, 20_000);

  it('lets a child live on through Ctrl-C presses further apart than the window (psql, REPLs)', async () => {
    const r = inTerminal(ignoresSigint, ['--window-ms=300']);
    await r.ready;
    r.write('\x03');
    await r.waitFor(/int 1/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    r.write('\x03');
    await r.waitFor(/int 2/);
    expect((await r.exit).code).toBe(22);
  }, 20_000);

  it('with a terminal, the child stays in the terminal\'s process group', async () => {
    const r = inTerminal(printGroup);
    const group = Number((await r.waitFor(/group (\d+)/))[1]);
    const runnerPid = await r.ready;
    expect(group).toBe(runnerPid);
    r.write('\x03');
    await r.exit;
  }, 20_000);

  it('does not forward a SIGINT sent to the runner alone when a terminal is attached', async () => {
    const r = inTerminal(`${countSigints} setTimeout(() => process.exit(20 + n), 1500);`);
    const runnerPid = await r.ready;
    process.kill(runnerPid, 'SIGINT');
    expect((await r.exit).code).toBe(20);
  }, 20_000);
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
