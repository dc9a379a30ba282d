import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Opens a sign-in link in the default browser without putting it in any process's argv (where
// every local user can read it in `ps`): the link goes into a 0600 HTML file in a fresh 0700
// directory that redirects to it, and the opener is given only that file's path.

export interface OpenBrowserOptions {
  platform: NodeJS.Platform;
  /** The opener's environment (PATH; DISPLAY / WAYLAND_DISPLAY on Linux and other Unix desktops). */
  env: NodeJS.ProcessEnv;
  /** Where the temporary directory is made. */
  tmpDir: string;
  /** How long the file is kept for the browser to read it once the opener has handed it over (ms). */
  keepMs: number;
}

export type OpenOutcome = { opened: true } | { opened: false; reason: string };

/** How to open a file with the platform's default application. */
export interface Opener {
  command: string;
  args: string[];
  /** Windows: pass the arguments as written (cmd.exe does its own quoting). */
  verbatim: boolean;
}

/** The opener command and its arguments for `file` on each platform. */
export function openerFor(platform: NodeJS.Platform, file: string): Opener {
  if (platform === 'darwin') return { command: 'open', args: [file], verbatim: false };
  // `start`'s first quoted argument is the window title: "" keeps the quoted path from being taken for it.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', `"${file}"`], verbatim: true };
  return { command: 'xdg-open', args: [file], verbatim: false };
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The redirect page: no script, no referrer, a link to click should the refresh be blocked. */
export function redirectPage(url: string): string {
  const href = escapeAttribute(url);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="referrer" content="no-referrer">',
    `<meta http-equiv="refresh" content="0;url=${href}">`,
    '<title>Krypt sign-in</title></head>',
    `<body><p><a href="${href}">Continue to the Krypt dashboard</a></p></body></html>`,
    '',
  ].join('\n');
}

/** Waits for the opener to hand the file over: its exit, or (an opener that keeps running) `ms`. */
function launch({ command, args, verbatim }: Opener, env: NodeJS.ProcessEnv, ms: number): Promise<OpenOutcome> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      // Detached: the browser an opener starts outlives this command (and its Ctrl-C).
      child = spawn(command, args, { env, stdio: 'ignore', detached: true, windowsHide: true, windowsVerbatimArguments: verbatim });
    } catch (err) {
      resolve({ opened: false, reason: `${command} could not be started (${(err as Error).message})` });
      return;
    }
    const timer = setTimeout(() => {
      child.unref();
      resolve({ opened: true });
    }, ms);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ opened: false, reason: err.code === 'ENOENT' ? `${command} was not found` : `${command} could not be started (${err.message})` });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? { opened: true } : { opened: false, reason: `${command} failed (${signal ?? `exit ${code}`})` });
    });
  });
}

/**
 * Opens `url` in the default browser through a temporary redirect file, removed once the browser
 * had `keepMs` to read it (and on exit). Resolves `opened: false` with a reason when there is no
 * display, or the opener is missing or fails: the caller prints the link instead.
 */
export async function openInBrowser(url: string, opts: OpenBrowserOptions): Promise<OpenOutcome> {
  const desktop = opts.platform === 'darwin' || opts.platform === 'win32' || Boolean(opts.env.DISPLAY || opts.env.WAYLAND_DISPLAY);
  if (!desktop) return { opened: false, reason: 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  const dir = mkdtempSync(join(opts.tmpDir, 'krypt-open-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  // Interrupted while the browser reads it: remove the file, then die of the signal as usual.
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    stopWatching();
    process.kill(process.pid, signal);
  };
  const stopWatching = () => {
    process.off('exit', remove);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  process.once('exit', remove);
  for (const signal of SIGNALS) process.once(signal, onSignal);
  try {
    chmodSync(dir, 0o700);
    const file = join(dir, 'sign-in.html');
    writeFileSync(file, redirectPage(url), { mode: 0o600, flag: 'wx' });
    const outcome = await launch(openerFor(opts.platform, file), opts.env, opts.keepMs);
    if (outcome.opened) await new Promise((resolve) => setTimeout(resolve, opts.keepMs));
    return outcome;
  } finally {
    remove();
    stopWatching();
  }
}
