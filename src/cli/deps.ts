import type { Readable, Writable } from 'node:stream';
import { configDir } from '../lib/config/config-file.js';
import { createDebugLog, isDebugEnabled, type DebugLog } from '../lib/debug/debug-log.js';

/** Everything a command touches of the outside world, so tests and callers can substitute it. */
export interface CliDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where the CLI keeps its config and offline copies (KRYPT_CONFIG_DIR, else ~/.krypt). */
  configDir: string;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  now: () => Date;
  /** `krypt[debug]` lines on stderr when KRYPT_DEBUG is set; undefined (call as `debug?.(...)`) when off. */
  debug?: DebugLog | undefined;
}

/** The CLI's composition root: the real process. */
export function createCliDeps(): CliDeps {
  return {
    env: process.env,
    cwd: process.cwd(),
    configDir: configDir(process.env),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => new Date(),
    debug: isDebugEnabled(process.env.KRYPT_DEBUG) ? createDebugLog(process.stderr) : undefined,
  };
}
