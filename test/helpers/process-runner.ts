import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { until } from './until.js';

// Real processes for the supervision tests: test/fixtures/process/runner.ts (`krypt run` and
// `krypt run --watch` over src/lib/process) bundled once, and the children it supervises.

const FIXTURES = fileURLToPath(new URL('../fixtures/process/', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The child fixtures: `node child.mjs SIG=ACTION...`, `sh grandchild.sh`, `sh stubborn-grandchild.sh`. */
export const CHILD = join(FIXTURES, 'child.mjs');
export const GRANDCHILD_SH = join(FIXTURES, 'grandchild.sh');
export const STUBBORN_GRANDCHILD_SH = join(FIXTURES, 'stubborn-grandchild.sh');

let bundleDir: string | undefined;

/** runner.ts bundled to one plain JavaScript file, once per test file (a spawn then costs a bare `node`). */
export function runnerScript(): string {
  if (bundleDir === undefined) {
    bundleDir = mkdtempSync(join(tmpdir(), 'krypt-runner-'));
    const outfile = join(bundleDir, 'runner.mjs');
    buildSync({ entryPoints: [join(FIXTURES, 'runner.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'warning' });
  }
  return join(bundleDir, 'runner.mjs');
}

/** For afterAll: removes the bundled runner. */
export function removeRunner(): void {
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
  bundleDir = undefined;
}

const started: Started[] = [];

/**
 * For afterEach: SIGKILLs what a test left running (after a failed assertion, or a child a test
 * does not end): every process started here that still runs with its descendants, and every
 * process its children reported ("ready <parent> <pid>", "grandchild <pid>").
 */
export async function stopStarted(): Promise<void> {
  for (const r of started.splice(0)) {
    const reported = [...r.text().matchAll(/^ready \d+ (\d+)|grandchild (\d+)/gm)].map((m) => Number(m[1] ?? m[2]));
    for (const pid of [...(r.running() ? [r.pid, ...descendants(r.pid)] : []), ...reported]) {
      try {
        if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    await r.exit;
  }
}

// Descendants by parent pid, from /proc/<pid>/stat ("pid (comm) state ppid ...").
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  for (let frontier = [root]; frontier.length > 0; ) {
    frontier = [...parents].filter(([, parent]) => frontier.includes(parent)).map(([pid]) => pid);
    found.push(...frontier);
  }
  return found;
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface Started {
  pid: number;
  exit: Promise<Exit>;
  /** Resolves with the first match of `re` in everything the process wrote to `stream`, so far or later. */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
  /** Everything written to `stream` so far. */
  text(stream?: 'stdout' | 'stderr'): string;
  /** Writes to the process's stdin (which its child inherits). */
  write(data: string): void;
  /** Writes a line to fd 3 (the runner's control channel; see runner.ts). */
  control(line: string): void;
  running(): boolean;
}

/** Runs `file args` from the repository root with piped stdin, stdout, stderr and fd 3. */
export function start(file: string, args: string[]): Started {
  const proc = spawn(file, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  let closed = false;
  const waiters: { re: RegExp; stream: 'stdout' | 'stderr'; resolve: (m: RegExpExecArray) => void; reject: (e: Error) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = w.re.exec(text[w.stream]);
      if (m) w.resolve(m);
      else if (closed) w.reject(new Error(`${w.stream} closed without ${String(w.re)}\nstdout: ${text.stdout}\nstderr: ${text.stderr}`));
      else continue;
      waiters.splice(waiters.indexOf(w), 1);
    }
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    proc[stream].on('data', (chunk: Buffer) => {
      text[stream] += chunk.toString();
      check();
    });
  }
  proc.on('close', () => {
    closed = true;
    check();
  });
  let exited = false;
  const exit = new Promise<Exit>((resolve) => {
    proc.on('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });
  const controlPipe = proc.stdio[3] as NodeJS.WritableStream;
  for (const pipe of [proc.stdin, controlPipe]) (pipe as NodeJS.EventEmitter).on('error', () => undefined);
  const r: Started = {
    pid: proc.pid ?? -1,
    exit,
    waitFor: (re, stream = 'stdout') =>
      new Promise((resolve, reject) => {
        waiters.push({ re, stream, resolve, reject });
        check();
      }),
    text: (stream = 'stdout') => text[stream],
    write: (data) => void proc.stdin.write(data),
    control: (line) => void controlPipe.write(`${line}\n`),
    running: () => !exited,
  };
  started.push(r);
  return r;
}

/** The runner supervising `cmd args`, with no terminal; `flags` include --watch for `krypt run --watch`. */
export function startRunner(flags: string[], cmd: string, args: string[]): Started {
  return start(process.execPath, [runnerScript(), ...flags, cmd, ...args]);
}

/**
 * The runner supervising `node child.mjs childArgs` under a pseudo-terminal (util-linux `script`),
 * as in an interactive shell; with `stdinNotTerminal`, stdin is /dev/null (as in `cmd | krypt run -- less`).
 */
export function startInTerminal(flags: string[], childArgs: string[], { stdinNotTerminal = false } = {}): Started {
  const line = [process.execPath, runnerScript(), ...flags, process.execPath, CHILD, ...childArgs].map((a) => `'${a}'`).join(' ');
  return start('script', ['-qec', `exec ${line}${stdinNotTerminal ? ' </dev/null' : ''}`, '/dev/null']);
}

/** Parses child.mjs's "ready <parent pid> <pid> <process group> <$V>" line. */
export async function childReady(r: Started): Promise<{ parent: number; pid: number; group: number; value: string }> {
  const m = await r.waitFor(/ready (\d+) (\d+) (\d+) (\S*)/);
  return { parent: Number(m[1]), pid: Number(m[2]), group: Number(m[3]), value: m[4] as string };
}

/** Whether pid is a live process: a zombie (killed, not yet reaped by whoever inherited it) is not. */
export function isRunning(pid: number): boolean {
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

/** Resolves once a process we cannot wait() on (not our child) has ended. */
export function ended(pid: number, what: string): Promise<void> {
  return until(() => !isRunning(pid), { timeoutMs: 5_000, what: `${what} (pid ${pid}) to end` });
}
