import type { ChildProcess } from 'node:child_process';
import { alive, childMode, exitCodeOf, superviseSignals, type SignalOptions } from './signal-rules.js';
import { spawnError, spawnTarget, type SpawnTarget } from './spawn-target.js';

// The one supervisor of `krypt run` and `krypt run --watch`: it starts the program (spawn-target),
// applies the signal rules (signal-rules) and passes the exit code on. `--watch` adds only the
// reload: when the environment changes, either restart the program with the new environment
// (SIGTERM, the restart grace, SIGKILL) or send it a signal (apps that reload their configuration
// themselves). Changes arriving close together make one reload.
// On the start-up path of `krypt run`: import node builtins and ../errors.js only.

/** What a change does: restart the child with the new environment, or send it a signal. */
export type OnChange = 'restart' | { signal: NodeJS.Signals };

/** What the supervisor does on a reload, for a line on stderr. */
export type SupervisorEvent =
  | { type: 'started'; pid: number | undefined; restarts: number }
  | { type: 'restarting'; pid: number | undefined }
  | { type: 'killing'; pid: number | undefined; afterMs: number }
  | { type: 'signalled'; pid: number | undefined; signal: NodeJS.Signals };

/** reload() calls within this window of the first one make one reload, with the newest environment. */
export const DEFAULT_COALESCE_MS = 300;

/** How long a child may take to exit after a restart's SIGTERM before it gets SIGKILL. */
export const DEFAULT_RESTART_GRACE_MS = 10_000;

export interface SuperviseOptions extends SpawnTarget, SignalOptions {
  onChange?: OnChange;
  /** See DEFAULT_COALESCE_MS. */
  coalesceMs?: number;
  /** See DEFAULT_RESTART_GRACE_MS. */
  restartGraceMs?: number;
  onEvent?: (event: SupervisorEvent) => void;
}

export interface Supervisor {
  /**
   * The code krypt must exit with: the child's exit code, or 128 + n when signal n ended it. Settles
   * when the child exits (not while being restarted). Rejects with a KryptError (spawnError) when
   * a child cannot be started.
   */
  readonly exited: Promise<number>;
  /** Schedules a reload with a new environment; ignored once the supervisor is done or stopping. */
  reload(env: NodeJS.ProcessEnv): void;
  /** Handles a request to stop exactly as a SIGTERM sent to krypt; resolves with `exited`. */
  stop(): Promise<number>;
  /** The current child's pid. */
  readonly pid: number | undefined;
}

/** Takes over the child's piped stdout and stderr; resolves once both have drained. */
export type OutputPipe = (child: ChildProcess) => Promise<void>;

/** `krypt run --watch`: starts the first child and returns the supervisor; see Supervisor for the contract. */
export function superviseWithReload(opts: SuperviseOptions): Supervisor {
  return startSupervisor(opts, undefined);
}

type Outcome = { code: number; drained: Promise<void> } | { error: unknown };

/**
 * The supervisor behind runChild and superviseWithReload. Signal listeners are installed before
 * the first spawn (a signal in the first milliseconds of the child's life would otherwise kill
 * krypt and orphan the child) and removed when `exited` settles. With `output`, stdout and
 * stderr are piped to it and `exited` waits until they have drained.
 */
export function startSupervisor(opts: SuperviseOptions, output: OutputPipe | undefined): Supervisor {
  const onChange = opts.onChange ?? 'restart';
  const coalesceMs = opts.coalesceMs ?? DEFAULT_COALESCE_MS;
  const restartGraceMs = opts.restartGraceMs ?? DEFAULT_RESTART_GRACE_MS;
  const emit = opts.onEvent ?? (() => undefined);
  const mode = childMode(opts.interactive);

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
  // Once krypt is asked to stop (SIGINT, SIGTERM, stop()), no restart may follow.
  let stopping = false;
  let done = false;
  let restarts = 0;
  let coalesceTimer: NodeJS.Timeout | undefined;
  let restartKillTimer: NodeJS.Timeout | undefined;

  const rules = superviseSignals(() => current, mode, opts, () => {
    stopping = true;
    clearTimeout(coalesceTimer);
    coalesceTimer = undefined;
  });

  const finish = (outcome: Outcome): void => {
    if (done) return;
    done = true;
    clearTimeout(coalesceTimer);
    clearTimeout(restartKillTimer);
    rules.release();
    if ('error' in outcome) rejectExited(outcome.error);
    else void outcome.drained.then(() => resolveExited(outcome.code));
  };

  const launch = (env: NodeJS.ProcessEnv): void => {
    let child: ChildProcess;
    let file: string;
    try {
      ({ child, file } = spawnTarget({ command: opts.command, args: opts.args, shell: opts.shell, env }, { grouped: mode.grouped, pipeOutput: output !== undefined }));
    } catch (err) {
      finish({ error: err });
      return;
    }
    current = child;
    const drained = output === undefined ? Promise.resolve() : output(child);
    let spawned = false;
    let failed = false;
    child.once('spawn', () => {
      spawned = true;
      emit({ type: 'started', pid: child.pid, restarts });
    });
    child.on('error', (err) => {
      // After 'spawn', an error only means a kill() failed: the 'exit' event still follows.
      if (spawned || failed) return;
      failed = true;
      finish({ error: spawnError(file, err) });
    });
    child.once('exit', (code, signal) => {
      if (failed || child !== current) return;
      clearTimeout(restartKillTimer);
      restartKillTimer = undefined;
      if (restarting && !stopping && !done) {
        restarting = false;
        restarts += 1;
        launch(latestEnv);
        return;
      }
      finish({ code: exitCodeOf(code, signal), drained });
    });
  };

  // A restart stops the child as a terminal-less `krypt run` would be asked to (SIGTERM to its
  // group), but after the restart grace it is killed: the new environment must not wait forever.
  const applyChange = (): void => {
    coalesceTimer = undefined;
    const child = current;
    if (done || stopping || !child || !alive(child)) return;
    if (onChange === 'restart') {
      restarting = true;
      emit({ type: 'restarting', pid: child.pid });
      rules.send(child, 'SIGTERM');
      restartKillTimer = setTimeout(() => {
        if (!alive(child)) return;
        emit({ type: 'killing', pid: child.pid, afterMs: restartGraceMs });
        rules.send(child, 'SIGKILL');
      }, restartGraceMs);
      return;
    }
    emit({ type: 'signalled', pid: child.pid, signal: onChange.signal });
    rules.send(child, onChange.signal);
  };

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
      if (!done) rules.receive('SIGTERM');
      return exited;
    },
  };
}
