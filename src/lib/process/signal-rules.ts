import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { isatty } from 'node:tty';

// The signal rules of `krypt run`, with or without --watch: one place decides what is forwarded,
// to whom, what counts as a request to stop, and when a request escalates to SIGKILL.
// On the start-up path of `krypt run`: import node builtins only.

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

/** The code `krypt run` exits with: the child's exit code, or 128 + n when signal n ended it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : constants.signals[signal as keyof typeof constants.signals];
  return 128 + (n ?? 0);
}

/** Whether the child is still running (no exit seen yet). */
export function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export interface SignalOptions {
  /** Whether we share a terminal with the child (Ctrl-C reaches it directly); defaults to any of fds 0-2 being a TTY. */
  interactive?: boolean;
  /** How long after the first forwarded SIGINT/SIGTERM a repeat escalates to SIGKILL; default DEFAULT_KILL_GRACE_MS. */
  killGraceMs?: number;
  /** With a terminal, a Ctrl-C this soon after the previous one kills the child; default DEFAULT_CTRL_C_WINDOW_MS. */
  ctrlCWindowMs?: number;
  /** Where the supervisor's own notes go (a kill, an ignored repeat); default: stderr, prefixed `krypt: `. */
  notify?: (message: string) => void;
}

/** Where the child stands: in its own process group (`grouped`), or sharing krypt's terminal (`terminal`). */
export interface ChildMode {
  grouped: boolean;
  terminal: boolean;
}

/**
 * Without a terminal the child gets its own process group (detached = setsid) so signals reach
 * its descendants. With one it must stay in the terminal's foreground group: Ctrl-C reaches it
 * there, and it keeps /dev/tty (`cmd | krypt run -- less` reads keys from it). Windows has no
 * groups, and its console sends Ctrl-C to every attached process: treat it as a terminal.
 */
export function childMode(interactive: boolean | undefined): ChildMode {
  const terminal = interactive ?? (isatty(0) || isatty(1) || isatty(2));
  const windows = process.platform === 'win32';
  return { grouped: !terminal && !windows, terminal: terminal || windows };
}

export interface SignalRules {
  /** Sends `signal` as krypt sends every signal: to the child's whole group when it has one. */
  send(child: ChildProcess, signal: NodeJS.Signals): void;
  /** Handles `signal` as if krypt had received it. */
  receive(signal: NodeJS.Signals): void;
  /** Removes the listeners; after a stop request, SIGTERM to what is left of the group. */
  release(): void;
}

/**
 * Installs the supervision rules as signal listeners for the running child (`current()`, which
 * may change when --watch restarts it). `onStop` hears every request to stop, before it is acted on.
 *
 * - Terminal: the child shares the terminal's foreground process group, so Ctrl-C (SIGINT) and
 *   Ctrl-\ (SIGQUIT) reach it straight from the terminal and are not forwarded. A Ctrl-C within
 *   ctrlCWindowMs of the previous one, while the child still runs, sends it SIGKILL: pressed twice
 *   means "force quit", and a hung child must always be stoppable. SIGKILL, not SIGTERM-then-wait:
 *   the child has already had two SIGINTs and ignored them. The window keeps programs that live
 *   with Ctrl-C (psql cancels a query, a REPL drops a line) from being killed by two presses
 *   minutes apart.
 * - No terminal: the child leads its own process group, and every signal goes to the whole group,
 *   as a terminal would send it, so grandchildren (`sh -c 'a & b'`) get it too.
 * - Other signals are forwarded as they come. The first SIGINT/SIGTERM is delivered; a repeat
 *   arriving killGraceMs or more after it sends SIGKILL (to the group when there is one); a repeat
 *   before then is dropped if the child already has that signal, with a note saying when a repeat
 *   will kill (a duplicate, e.g. a signal sent to krypt's group that a parent like npm also
 *   forwards, must not cut a graceful shutdown short), and delivered if it does not. These rules
 *   never kill on a timer: only a repeated request escalates.
 * - No terminal, at release after a SIGINT/SIGTERM: if the group has not had SIGTERM yet, it gets
 *   one, so nothing krypt was told to stop outlives the child (sh's background jobs ignore SIGINT).
 */
export function superviseSignals(current: () => ChildProcess | undefined, mode: ChildMode, opts: SignalOptions, onStop: () => void): SignalRules {
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const windowMs = opts.ctrlCWindowMs ?? DEFAULT_CTRL_C_WINDOW_MS;
  const notify = opts.notify ?? ((m: string) => void process.stderr.write(`krypt: ${m}\n`));
  const send = (child: ChildProcess, signal: NodeJS.Signals): void => {
    if (mode.grouped && child.pid !== undefined) {
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
  const receive = (signal: NodeJS.Signals): void => {
    const stop = STOP_SIGNALS.has(signal);
    if (stop) onStop();
    const child = current();
    if (child === undefined || !alive(child)) return;
    const fromTerminal = mode.terminal && TERMINAL_SIGNALS.has(signal);
    if (!stop) {
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
    const handler = (): void => receive(signal);
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  const release = (): void => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    handlers.clear();
    // The group id cannot be reused while any member is alive; once it is empty ESRCH is ignored.
    const pid = current()?.pid;
    if (mode.grouped && firstStop !== undefined && !killed && !delivered.has('SIGTERM') && pid !== undefined) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // Nothing left in the group.
      }
    }
  };
  return { send, receive, release };
}
