import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { isAbsolute } from 'node:path';
import { isatty } from 'node:tty';
import { KryptError } from '../errors.js';

/** Signals `krypt run` passes on to its child, so that `kill <krypt pid>` reaches the program. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

// A terminal sends these to the whole foreground process group, child included: forwarding them
// as well would deliver them twice (a second Ctrl-C often means "force quit").
const TERMINAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT']);

export interface RunChildOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Run `command` as a shell string: `$SHELL -c command $SHELL args...` (or /bin/sh); args become $1... */
  shell?: boolean;
  stdio?: 'inherit';
  /** Whether Ctrl-C comes from a terminal we share with the child; defaults to isatty(0). */
  interactive?: boolean;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : constants.signals[signal as keyof typeof constants.signals];
  return 128 + (n ?? 0);
}

function resolveCommand(opts: RunChildOptions): { file: string; args: string[]; shell: boolean } {
  if (!opts.shell) return { file: opts.command, args: opts.args, shell: false };
  // Windows: let Node pick cmd.exe and its quoting rules.
  if (process.platform === 'win32') return { file: opts.command, args: opts.args, shell: true };
  const userShell = opts.env.SHELL;
  const sh = userShell !== undefined && isAbsolute(userShell) ? userShell : '/bin/sh';
  return { file: sh, args: ['-c', opts.command, sh, ...opts.args], shell: false };
}

// Spawn errors carry only the program name and an errno code, never argv or env (which may hold
// secrets, and which Node quotes in some of its own messages).
function spawnError(file: string, err: unknown): KryptError {
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
 * Runs a program with stdio inherited and resolves to the code `krypt run` must exit with: the
 * child's exit code, or 128 + n when signal n killed it. Forwards FORWARDED_SIGNALS while the
 * child runs (terminal-generated ones only when not interactive) and removes its listeners after.
 */
export async function runChild(opts: RunChildOptions): Promise<number> {
  const { file, args, shell } = resolveCommand(opts);
  const interactive = opts.interactive ?? isatty(0);
  let child: ChildProcess;
  try {
    child = spawn(file, args, { env: opts.env, stdio: opts.stdio ?? 'inherit', shell });
  } catch (err) {
    throw spawnError(file, err);
  }
  return new Promise<number>((resolve, reject) => {
    let spawned = false;
    let settled = false;
    const handlers = new Map<NodeJS.Signals, () => void>();
    const finish = (): void => {
      settled = true;
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    };
    for (const signal of FORWARDED_SIGNALS) {
      // A listener also keeps this process alive on SIGINT/SIGTERM until the child has exited.
      const handler = (): void => {
        if (interactive && TERMINAL_SIGNALS.has(signal)) return;
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      };
      handlers.set(signal, handler);
      process.on(signal, handler);
    }
    child.once('spawn', () => {
      spawned = true;
    });
    child.on('error', (err) => {
      // After 'spawn', an error only means a kill() failed: the 'exit' event still follows.
      if (spawned || settled) return;
      finish();
      reject(spawnError(file, err));
    });
    child.once('exit', (code, signal) => {
      if (settled) return;
      finish();
      resolve(exitCodeOf(code, signal));
    });
  });
}
