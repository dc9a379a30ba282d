import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The real entry point, as users run it (built by `npm run build`, which `npm test` does first). */
export const BIN = resolve(import.meta.dirname, '../../bin/run.js');

/**
 * KRYPT_BIN=path runs the CLI suites against a standalone binary (`npm run release`) instead of
 * `node bin/run.js`. The binary carries the client only, so `krypt server ...` stays on Node.
 */
export const KRYPT_BIN = process.env.KRYPT_BIN ? resolve(process.env.KRYPT_BIN) : undefined;

/** The program and arguments that run `krypt ARGS`: the binary under test, else node bin/run.js. */
export function kryptCommand(args: readonly string[]): [string, string[]] {
  if (KRYPT_BIN && args[0] !== 'server') return [KRYPT_BIN, [...args]];
  return [process.execPath, [BIN, ...args]];
}

/** `krypt ARGS` as one shell-quoted command line (for sh -c and script). */
export function kryptShell(args: readonly string[] = []): string {
  const [file, argv] = kryptCommand(args);
  return [file, ...argv].map(shellQuote).join(' ');
}

export const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Written to stdin, then closed; bytes are passed through untouched. */
  input?: string | Buffer;
  timeoutMs?: number;
}

/** A temporary home for one test: its own KRYPT_CONFIG_DIR and a working directory. */
export function makeSandbox(): { home: string; configDir: string; cwd: string; env: Record<string, string> } {
  const home = mkdtempSync(join(tmpdir(), 'krypt-test-'));
  const configDir = join(home, '.krypt');
  const cwd = join(home, 'work');
  mkdirSync(cwd, { recursive: true });
  const env: Record<string, string> = {
    HOME: home,
    KRYPT_CONFIG_DIR: configDir,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NO_COLOR: '1',
  };
  return { home, configDir, cwd, env };
}

/** Runs `krypt ARGS` with exactly the given environment (nothing inherited) and collects its output. */
export function krypt(args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env = Object.fromEntries(Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const [file, argv] = kryptCommand(args);
    const child = spawn(file, argv, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    // A command that exits without reading its stdin (krypt get -n -n: a usage error) closes the
    // pipe first; the EPIPE of this write is expected, and unheard it would crash the test file.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a shell script asynchronously (a synchronous spawn would stall an in-process test server). */
export function sh(script: string, options: CliOptions): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('sh', ['-c', script], { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/**
 * Runs `krypt ARGS` on a real pseudo-terminal (util-linux `script`), so stdin.isTTY is true and
 * prompts are shown: once `prompt` appears in the output, `answer` is typed. Output is the
 * terminal's (stdout and stderr together, with escape sequences).
 */
export function kryptOnTerminal(args: string[], options: CliOptions & { prompt: string; answer: string }): Promise<{ code: number | null; output: string }> {
  const command = kryptShell(args);
  return new Promise((resolvePromise, reject) => {
    const env = Object.fromEntries(Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = false;
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString('utf8');
      if (!answered && output.includes(options.prompt)) {
        answered = true;
        child.stdin.write(options.answer);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}
