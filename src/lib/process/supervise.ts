import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import { FORWARDED_SIGNALS } from './run-child.js';

// `krypt run --watch`: runs the program, and when the environment changes either restarts it with
// the new environment (SIGTERM, a grace period, SIGKILL) or just sends it a signal (apps that
// reload their configuration themselves). Changes arriving close together make one reload.

/** What a change does: restart the child with the new environment, or send it a signal. */
export type OnChange = 'restart' | { signal: NodeJS.Signals };

/** What the supervisor does, for a line on stderr. */
export type SupervisorEvent =
  | { type: 'started'; pid: number | undefined; restarts: number }
  | { type: 'restarting'; pid: number | undefined }
  | { type: 'killing'; pid: number | undefined; afterMs: number }
  | { type: 'signalled'; pid: number | undefined; signal: NodeJS.Signals };

export interface SuperviseOptions {
  /**
   * Spawns the program with this environment (stdio, shell and PATH lookup are the caller's
   * choice). May throw; an 'error' event before 'spawn' also counts as a failure to start.
   */
  start: (env: NodeJS.ProcessEnv) => ChildProcess;
  /** The environment of the first child. */
  env: NodeJS.ProcessEnv;
  onChange?: OnChange;
  /** reload() calls within this window of the first one make one reload, with the newest environment. */
  coalesceMs?: number;
  /** How long a child may take to exit after SIGTERM before it gets SIGKILL. */
  killTimeoutMs?: number;
  /** Whether Ctrl-C comes from a terminal shared with the child (then SIGINT/SIGQUIT are not forwarded); defaults to isatty(0). */
  interactive?: boolean;
  onEvent?: (event: SupervisorEvent) => void;
}

export interface Supervisor {
  /**
   * The code krypt must exit with: the child's exit code, or 128 + n when signal n ended it. Settles
   * when the child exits on its own (not while being restarted) or after krypt is told to stop.
   * Rejects with the spawn error when a child cannot be started.
   */
  readonly exited: Promise<number>;
  /** Schedules a reload with a new environment; ignored once the supervisor is done or stopping. */
  reload(env: NodeJS.ProcessEnv): void;
  /** Stops the child (SIGTERM, then SIGKILL after killTimeoutMs) and settles `exited`. */
  stop(): Promise<number>;
  /** The current child's pid. */
  readonly pid: number | undefined;
}

// A terminal sends these to the whole foreground process group, child included.
const TERMINAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT']);
// Received by krypt, these mean "stop": no restart may follow, and a repeat arms the SIGKILL timer.
const STOP_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGQUIT']);

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : constants.signals[signal as keyof typeof constants.signals];
  return 128 + (n ?? 0);
}

const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/** Starts the first child and returns the supervisor; see Supervisor for the contract. */
export function superviseWithReload(opts: SuperviseOptions): Supervisor {
  const onChange = opts.onChange ?? 'restart';
  const coalesceMs = opts.coalesceMs ?? 300;
  const killTimeoutMs = opts.killTimeoutMs ?? 10_000;
  const interactive = opts.interactive ?? isatty(0);
  const emit = opts.onEvent ?? (() => undefined);

  let resolveExited!: (code: number) => void;
  let rejectExited!: (err: unknown) => void;
  const exited = new Promise<number>((resolve, reject) => {
    resolveExited = resolve;
    rejectExited = reject;
  });

  let current: ChildProcess | undefined;
  // The newest environment: a restart always uses it.
  let latestEnv = opts.env;
  let restarting = false;
  let stopping = false;
  let done = false;
  let restarts = 0;
  let coalesceTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const handlers = new Map<NodeJS.Signals, () => void>();

  const finish = (outcome: { code: number } | { error: unknown }): void => {
    if (done) return;
    done = true;
    clearTimeout(coalesceTimer);
    clearTimeout(killTimer);
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    if ('code' in outcome) resolveExited(outcome.code);
    else rejectExited(outcome.error);
  };

  const terminate = (child: ChildProcess): void => {
    child.kill('SIGTERM');
    armKill(child);
  };

  const armKill = (child: ChildProcess): void => {
    if (killTimer) return;
    killTimer = setTimeout(() => {
      if (!alive(child)) return;
      emit({ type: 'killing', pid: child.pid, afterMs: killTimeoutMs });
      child.kill('SIGKILL');
    }, killTimeoutMs);
  };

  const launch = (env: NodeJS.ProcessEnv): void => {
    let child: ChildProcess;
    try {
      child = opts.start(env);
    } catch (err) {
      finish({ error: err });
      return;
    }
    current = child;
    let spawned = false;
    let failed = false;
    child.once('spawn', () => {
      spawned = true;
      emit({ type: 'started', pid: child.pid, restarts });
    });
    child.on('error', (err) => {
      // After 'spawn', an error only means a kill() failed: 'exit' still follows.
      if (spawned || failed) return;
      failed = true;
      finish({ error: err });
    });
    child.once('exit', (code, signal) => {
      if (failed || child !== current) return;
      clearTimeout(killTimer);
      killTimer = undefined;
      if (restarting && !stopping && !done) {
        restarting = false;
        restarts += 1;
        launch(latestEnv);
        return;
      }
      finish({ code: exitCodeOf(code, signal) });
    });
  };

  const applyChange = (): void => {
    coalesceTimer = undefined;
    const child = current;
    if (done || stopping || !child || !alive(child)) return;
    if (onChange === 'restart') {
      restarting = true;
      emit({ type: 'restarting', pid: child.pid });
      terminate(child);
      return;
    }
    emit({ type: 'signalled', pid: child.pid, signal: onChange.signal });
    child.kill(onChange.signal);
  };

  for (const signal of FORWARDED_SIGNALS) {
    // A listener also keeps krypt alive on SIGINT/SIGTERM until the child has exited.
    const handler = (): void => {
      const child = current;
      if (STOP_SIGNALS.has(signal)) {
        const repeated = stopping;
        stopping = true;
        clearTimeout(coalesceTimer);
        if (repeated && child && alive(child)) armKill(child);
      }
      if (interactive && TERMINAL_SIGNALS.has(signal)) return;
      if (child && alive(child)) child.kill(signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }

  launch(latestEnv);

  return {
    exited,
    get pid() {
      return current?.pid;
    },
    reload(env) {
      if (done || stopping) return;
      latestEnv = env;
      // During a restart the newest environment is used when the old child has gone.
      if (restarting || coalesceTimer) return;
      coalesceTimer = setTimeout(applyChange, coalesceMs);
    },
    stop() {
      if (!done && !stopping) {
        stopping = true;
        clearTimeout(coalesceTimer);
        const child = current;
        if (child && alive(child)) terminate(child);
      }
      return exited;
    },
  };
}
