import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, isAbsolute, win32 } from 'node:path';
import { isatty } from 'node:tty';
import { KryptError } from '../errors.js';

// On the start-up path of `krypt run`: import node builtins and ../errors.js only.

/** Signals `krypt run` passes on to its child, so that `kill <krypt pid>` reaches the program. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** How long after the first forwarded SIGINT/SIGTERM a repeated one must come to kill the child. */
export const DEFAULT_KILL_GRACE_MS = 2_000;

/** With a terminal, a Ctrl-C this soon after the previous one, while the child still runs, kills it. */
export const DEFAULT_CTRL_C_WINDOW_MS = 3_000;

// A terminal sends these to the whole foreground process group, child included: forwarding them
// as well would deliver them twice (a second Ctrl-C often means "force quit").
const TERMINAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT']);

// Signals that ask the program to stop; only these escalate to SIGKILL when they repeat. SIGHUP
// (reload) and SIGQUIT (thread dump in the JVM and Go) are often sent on purpose to a live program.
const STOP_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM']);

// Windows only knows these (libuv emulates them); there kill() of any signal terminates the process.
const WINDOWS_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface RunChildOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Run `command` as a shell string: `$SHELL -c command $SHELL args...` (or /bin/sh); args become $1... */
  shell?: boolean;
  stdio?: 'inherit';
  /** Replace these values (longer than 3 characters) in the child's stdout and stderr with *****. */
  maskValues?: readonly string[];
  /** Whether we share a terminal with the child (Ctrl-C reaches it directly); defaults to any of fds 0-2 being a TTY. */
  interactive?: boolean;
  /** How long after the first forwarded SIGINT/SIGTERM a repeat escalates to SIGKILL; default DEFAULT_KILL_GRACE_MS. */
  killGraceMs?: number;
  /** With a terminal, a Ctrl-C this soon after the previous one kills the child; default DEFAULT_CTRL_C_WINDOW_MS. */
  ctrlCWindowMs?: number;
  /** Where the runner's own notes go (a kill, an ignored repeat); default: stderr, prefixed `krypt: `. */
  notify?: (message: string) => void;
}

export interface ExecutableLookup {
  platform: NodeJS.Platform;
  /** The child's PATH (Windows: `Path` in any case), `;`-separated on Windows. */
  path: string | undefined;
  pathExt: string | undefined;
  exists: (file: string) => boolean;
}

/**
 * Where `command` lives. Elsewhere than Windows, the command unchanged (execvp searches the
 * child's PATH). On Windows, what cmd.exe would run: each PATH directory in turn, the name as
 * given when it already ends in a PATHEXT extension, then the name plus each PATHEXT extension,
 * so `npm` finds `npm.cmd` (Node's own search tries only .com and .exe). A name with a directory
 * part is not searched for on PATH. Undefined when nothing matches. The current directory is not
 * searched (as in PowerShell): a checked-out repository must not be able to shadow `npm`.
 */
export function findExecutable(command: string, lookup: ExecutableLookup): string | undefined {
  if (lookup.platform !== 'win32') return command;
  const exts = (lookup.pathExt ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e.startsWith('.'));
  const ownExt = win32.extname(command).toUpperCase();
  const names = [...(exts.some((e) => e.toUpperCase() === ownExt) ? [command] : []), ...exts.map((e) => command + e.toLowerCase())];
  const hasDir = /[\\/]/.test(command) || win32.isAbsolute(command) || /^[a-z]:/i.test(command);
  const dirs = hasDir ? [''] : (lookup.path ?? '').split(';').map((d) => d.trim().replace(/^"(.*)"$/, '$1')).filter(Boolean);
  for (const dir of dirs) {
    for (const name of names) {
      const file = dir === '' ? name : win32.join(dir, name);
      if (lookup.exists(file)) return file;
    }
  }
  return undefined;
}

// cmd.exe's metacharacters; ^ escapes them outside and (with /s) inside the quoted command line.
const CMD_META = /([()\][%!^"`<>&|;, *?])/g;

/**
 * One argument for a cmd.exe command line (as cross-spawn does it): quoted for the program's own
 * argv parser (backslashes before a quote doubled), then every cmd.exe metacharacter ^-escaped;
 * twice for npm's node_modules/.bin shims, which hand %* to a second cmd.exe parse.
 */
export function quoteForCmd(arg: string, twice = false): string {
  const quoted = `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1')}"`.replace(CMD_META, '^$1');
  return twice ? quoted.replace(CMD_META, '^$1') : quoted;
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toUpperCase() === name);
  return key === undefined ? undefined : env[key];
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : constants.signals[signal as keyof typeof constants.signals];
  return 128 + (n ?? 0);
}

interface Target {
  file: string;
  args: string[];
  shell: boolean;
  verbatim: boolean;
}

function resolveCommand(opts: RunChildOptions): Target {
  if (process.platform === 'win32') return resolveOnWindows(opts);
  if (!opts.shell) return { file: opts.command, args: opts.args, shell: false, verbatim: false };
  const userShell = opts.env.SHELL;
  const sh = userShell !== undefined && isAbsolute(userShell) ? userShell : '/bin/sh';
  return { file: sh, args: ['-c', opts.command, sh, ...opts.args], shell: false, verbatim: false };
}

function resolveOnWindows(opts: RunChildOptions): Target {
  // A shell string: let Node pick cmd.exe and its quoting rules.
  if (opts.shell) return { file: opts.command, args: opts.args, shell: true, verbatim: false };
  const lookup = { platform: 'win32' as const, path: envValue(opts.env, 'PATH'), pathExt: envValue(opts.env, 'PATHEXT'), exists: existsSync };
  const file = findExecutable(opts.command, lookup) ?? opts.command;
  if (!/\.(cmd|bat)$/i.test(file)) return { file, args: opts.args, shell: false, verbatim: false };
  // Batch files run only through cmd.exe (Node refuses them without a shell since CVE-2024-27980).
  const shim = /node_modules[\\/]\.bin[\\/][^\\/]+\.cmd$/i.test(file);
  const line = [file.replace(CMD_META, '^$1'), ...opts.args.map((a) => quoteForCmd(a, shim))].join(' ');
  return { file: envValue(opts.env, 'COMSPEC') ?? 'cmd.exe', args: ['/d', '/s', '/c', `"${line}"`], shell: false, verbatim: true };
}

// Spawn errors carry only the program name and an errno code, never argv or env (which may hold
// secrets, and which Node quotes in some of its own messages).
export function spawnError(file: string, err: unknown): KryptError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') {
    return new KryptError('command_not_found', `command not found: ${file}`, { hint: 'check the command name and your PATH' });
  }
  if (code === 'EACCES') {
    return new KryptError('command_not_executable', `permission denied: ${file}`, {
      hint: 'check that the file is executable (chmod +x) and is not a directory',
    });
  }
  return new KryptError('spawn_failed', `could not start ${file}${typeof code === 'string' ? ` (${code})` : ''}`, {
    hint: 'check the command, and that no secret value contains a NUL character',
  });
}

/**
 * The supervision rules, as signal handlers for the running child. Returns what to do at its exit.
 *
 * - Terminal (interactive): the child shares the terminal's foreground process group, so Ctrl-C
 *   (SIGINT) and Ctrl-\ (SIGQUIT) reach it straight from the terminal and are not forwarded. A
 *   Ctrl-C within DEFAULT_CTRL_C_WINDOW_MS of the previous one, while the child still runs, sends
 *   it SIGKILL: pressed twice means "force quit", and a hung child must always be stoppable.
 *   SIGKILL, not SIGTERM-then-wait: the child has already had two SIGINTs and ignored them. The
 *   window keeps programs that live with Ctrl-C (psql cancels a query, a REPL drops a line) from
 *   being killed by two presses minutes apart.
 * - No terminal: the child leads its own process group, and every signal goes to the whole group,
 *   as a terminal would send it, so grandchildren (`sh -c 'a & b'`) get it too.
 * - Other signals are forwarded as they come. The first forwarded SIGINT/SIGTERM is delivered; a
 *   repeat arriving killGraceMs or more after it sends SIGKILL (to the group when there is one); a
 *   repeat before then is dropped if the child already has that signal, with a note saying when
 *   a repeat will kill (a duplicate, e.g. a signal sent to krypt's group that a parent like npm
 *   also forwards, must not cut a graceful shutdown short), and delivered if it does not. krypt
 *   never kills on a timer: only a repeated request escalates.
 * - No terminal, at the child's exit after a SIGINT/SIGTERM: if the group has not had SIGTERM yet,
 *   it gets one, so nothing krypt was told to stop outlives it (sh's background jobs ignore SIGINT).
 */
function superviseSignals(current: () => ChildProcess | undefined, grouped: boolean, terminal: boolean, opts: RunChildOptions): () => void {
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const windowMs = opts.ctrlCWindowMs ?? DEFAULT_CTRL_C_WINDOW_MS;
  const notify = opts.notify ?? ((m: string) => void process.stderr.write(`krypt: ${m}\n`));
  const send = (child: ChildProcess, signal: NodeJS.Signals): void => {
    if (grouped && child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
        return;
      } catch {
        // No such group (yet or any more): fall back to the child alone.
      }
    }
    child.kill(signal);
  };
  let killed = false;
  const name = (child: ChildProcess): string => `${basename(child.spawnfile)} (pid ${String(child.pid)})`;
  const kill = (child: ChildProcess, after: NodeJS.Signals): void => {
    notify(`${name(child)} is still running after ${after}; sending SIGKILL`);
    killed = true;
    send(child, 'SIGKILL');
  };
  let lastCtrlC: number | undefined;
  let firstStop: number | undefined;
  const delivered = new Set<NodeJS.Signals>();
  const deliver = (child: ChildProcess, signal: NodeJS.Signals): void => {
    delivered.add(signal);
    send(child, signal);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    const child = current();
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const fromTerminal = terminal && TERMINAL_SIGNALS.has(signal);
    if (!STOP_SIGNALS.has(signal)) {
      if (!fromTerminal) send(child, signal);
      return;
    }
    const now = Date.now();
    if (fromTerminal) {
      const previous = lastCtrlC;
      lastCtrlC = now;
      if (previous !== undefined && now - previous < windowMs) kill(child, signal);
      return;
    }
    if (firstStop === undefined) {
      firstStop = now;
      deliver(child, signal);
    } else if (now - firstStop >= graceMs) {
      kill(child, signal);
    } else if (!delivered.has(signal)) {
      deliver(child, signal);
    } else {
      const wait = Math.max(1, Math.ceil((firstStop + graceMs - now) / 1000));
      notify(`waiting for ${name(child)} to exit; send ${signal} again in ${wait}s or later to kill it`);
    }
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of process.platform === 'win32' ? WINDOWS_SIGNALS : FORWARDED_SIGNALS) {
    // A listener also keeps this process alive on SIGINT/SIGTERM until the child has exited.
    const handler = (): void => onSignal(signal);
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    // The group id cannot be reused while any member is alive; once it is empty ESRCH is ignored.
    const pid = current()?.pid;
    if (grouped && firstStop !== undefined && !killed && !delivered.has('SIGTERM') && pid !== undefined) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // Nothing left in the group.
      }
    }
  };
}

/**
 * Runs a program with stdio inherited and resolves to the code `krypt run` must exit with: the
 * child's exit code, or 128 + n when signal n killed it. While it runs, signals are handled as
 * superviseSignals describes; its listeners are removed at the child's exit.
 */
export async function runChild(opts: RunChildOptions): Promise<number> {
  const { file, args, shell, verbatim } = resolveCommand(opts);
  const interactive = opts.interactive ?? (isatty(0) || isatty(1) || isatty(2));
  // Without a terminal the child gets its own process group (detached = setsid) so signals reach
  // its descendants. With one it must stay in the terminal's foreground group: Ctrl-C reaches it
  // there, and it keeps /dev/tty (`cmd | krypt run -- less` reads keys from it). Windows has no
  // groups, and its console sends Ctrl-C to every attached process: treat it as a terminal.
  const windows = process.platform === 'win32';
  const grouped = !interactive && !windows;
  // Listen before spawning: a signal in the first milliseconds of the child's life (while Node is
  // still setting up its first signal listener) would otherwise kill krypt and orphan the child.
  let child: ChildProcess | undefined;
  const stop = superviseSignals(() => child, grouped, interactive || windows, opts);
  try {
    const masked = opts.maskValues !== undefined;
    child = spawn(file, args, { env: opts.env, stdio: masked ? ['inherit', 'pipe', 'pipe'] : 'inherit', shell, detached: grouped, windowsVerbatimArguments: verbatim });
  } catch (err) {
    stop();
    throw spawnError(file, err);
  }
  const started = child;
  // With masking, output flows through the masker; the code is returned once both streams drained.
  const drained = opts.maskValues === undefined ? Promise.resolve() : pipeMasked(started, opts.maskValues);
  return new Promise<number>((resolve, reject) => {
    let spawned = false;
    let settled = false;
    started.once('spawn', () => {
      spawned = true;
    });
    started.on('error', (err) => {
      // After 'spawn', an error only means a kill() failed: the 'exit' event still follows.
      if (spawned || settled) return;
      settled = true;
      stop();
      reject(spawnError(file, err));
    });
    started.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      stop();
      void drained.then(() => resolve(exitCodeOf(code, signal)));
    });
  });
}

async function pipeMasked(child: ChildProcess, values: readonly string[]): Promise<void> {
  const { createMaskStream } = await import('../mask/mask-stream.js');
  const pipes: Array<[NodeJS.ReadableStream | null, NodeJS.WritableStream]> = [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ];
  await Promise.all(
    pipes.map(([from, to]) => {
      if (!from) return undefined;
      const masker = createMaskStream(values);
      from.pipe(masker).pipe(to, { end: false });
      return new Promise<void>((done) => masker.once('end', done));
    }),
  );
}

/**
 * Spawns the program the way runChild does (PATH lookup, shell strings, Windows batch files) but
 * leaves supervision to the caller: `krypt run --watch` restarts it.
 */
export function spawnChild(opts: RunChildOptions): ChildProcess {
  const { file, args, shell, verbatim } = resolveCommand(opts);
  try {
    return spawn(file, args, { env: opts.env, stdio: 'inherit', shell, windowsVerbatimArguments: verbatim });
  } catch (err) {
    throw spawnError(file, err);
  }
}

/** The program name used in spawn errors for these options. */
export function programName(opts: Pick<RunChildOptions, 'command' | 'shell' | 'env'>): string {
  return resolveCommand({ ...opts, args: [] }).file;
}
