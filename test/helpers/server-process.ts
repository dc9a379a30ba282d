import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.js';

/** A real `krypt server start` process, as operators run it. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM, then the exit code once it has shut down. */
  stop: () => Promise<number | null>;
}

export interface ServerProcessOptions {
  /** Written to its stdin, which is then closed (e.g. the master key). */
  input?: string;
  cwd?: string;
}

const running = new Set<ChildProcess>();

/**
 * Starts `node bin/run.js server start ARGS` and resolves once it prints `listening on URL`
 * (http or https); rejects with its stderr if it exits first.
 */
export function startServerProcess(args: string[], env: Record<string, string>, { input, cwd }: ServerProcessOptions = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'server', 'start', ...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  // 'close', not 'exit': by then both pipes are drained, so stdout()/stderr() are complete.
  const exited = new Promise<number | null>((r) =>
    child.on('close', (code) => {
      running.delete(child);
      r(code);
    }),
  );
  child.stdin!.end(input ?? '');
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(err);
      if (m) resolve({ child, url: m[1]!, exited, stdout: () => out, stderr: () => err, stop: () => (child.kill('SIGTERM'), exited) });
    });
    void exited.then((code) => reject(new Error(`server exited ${code}: ${err}${out ? `\nstdout: ${out}` : ''}`)));
  });
}

/** SIGKILLs every server process still running (for afterEach/afterAll). */
export function killServerProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
