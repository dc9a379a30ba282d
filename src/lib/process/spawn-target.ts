import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, win32 } from 'node:path';
import { KryptError } from '../errors.js';

// How `krypt run` (with or without --watch) starts its program: the command resolved as the user's
// shell or cmd.exe would, and a spawn error that names only the program.
// On the start-up path of `krypt run`: import node builtins and ../errors.js only.

/** The program to run and the environment it gets. */
export interface SpawnTarget {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Run `command` as a shell string: `$SHELL -c command $SHELL args...` (or /bin/sh); args become $1... */
  shell?: boolean;
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

interface Resolved {
  file: string;
  args: string[];
  shell: boolean;
  verbatim: boolean;
}

function resolveTarget(target: SpawnTarget): Resolved {
  if (process.platform === 'win32') return resolveOnWindows(target);
  if (!target.shell) return { file: target.command, args: target.args, shell: false, verbatim: false };
  const userShell = target.env.SHELL;
  const sh = userShell !== undefined && isAbsolute(userShell) ? userShell : '/bin/sh';
  return { file: sh, args: ['-c', target.command, sh, ...target.args], shell: false, verbatim: false };
}

function resolveOnWindows(target: SpawnTarget): Resolved {
  // A shell string: let Node pick cmd.exe and its quoting rules.
  if (target.shell) return { file: target.command, args: target.args, shell: true, verbatim: false };
  const lookup = { platform: 'win32' as const, path: envValue(target.env, 'PATH'), pathExt: envValue(target.env, 'PATHEXT'), exists: existsSync };
  const file = findExecutable(target.command, lookup) ?? target.command;
  if (!/\.(cmd|bat)$/i.test(file)) return { file, args: target.args, shell: false, verbatim: false };
  // Batch files run only through cmd.exe (Node refuses them without a shell since CVE-2024-27980).
  const shim = /node_modules[\\/]\.bin[\\/][^\\/]+\.cmd$/i.test(file);
  const line = [file.replace(CMD_META, '^$1'), ...target.args.map((a) => quoteForCmd(a, shim))].join(' ');
  return { file: envValue(target.env, 'COMSPEC') ?? 'cmd.exe', args: ['/d', '/s', '/c', `"${line}"`], shell: false, verbatim: true };
}

/**
 * A spawn error that carries only the program name and an errno code, never argv or env (which
 * may hold secrets, and which Node quotes in some of its own messages).
 */
export function spawnError(file: string, err: unknown): KryptError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') {
    return new KryptError('command_not_found', `command not found: ${file}`, { hint: 'check the command name and your PATH', exitCode: 127 });
  }
  if (code === 'EACCES') {
    return new KryptError('command_not_executable', `permission denied: ${file}`, {
      hint: 'check that the file is executable (chmod +x) and is not a directory',
      exitCode: 126,
    });
  }
  return new KryptError('spawn_failed', `could not start ${file}${typeof code === 'string' ? ` (${code})` : ''}`, {
    hint: 'check the command, and that no secret value contains a NUL character',
    exitCode: 126,
  });
}

/** A started program, and the name its spawn errors use. */
export interface Spawned {
  child: ChildProcess;
  file: string;
}

/**
 * Starts the program: stdin always inherited; stdout and stderr inherited unless `pipeOutput`;
 * in a new process group (setsid) when `grouped`. Throws spawnError when Node refuses at once; a
 * later failure to start arrives as the child's 'error' event before any 'spawn'.
 */
export function spawnTarget(target: SpawnTarget, how: { grouped: boolean; pipeOutput: boolean }): Spawned {
  const { file, args, shell, verbatim } = resolveTarget(target);
  try {
    const stdio: StdioOptions = how.pipeOutput ? ['inherit', 'pipe', 'pipe'] : 'inherit';
    return { child: spawn(file, args, { env: target.env, stdio, shell, detached: how.grouped, windowsVerbatimArguments: verbatim }), file };
  } catch (err) {
    throw spawnError(file, err);
  }
}
