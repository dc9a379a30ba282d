import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KryptError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';

/** config.json: known fields are checked by hand (no zod: this file is on `krypt run`'s start-up path). */
export interface CliConfig {
  apiUrl?: string;
  token?: string;
  /** Absolute path of a private CA certificate (PEM), saved by `krypt login --ca-file`. */
  caFile?: string;
  /** Key of the encrypted offline copies (base64url, 32 bytes). */
  cacheKey?: string;
  [other: string]: unknown;
}

function isCliConfig(value: unknown): value is CliConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return ['apiUrl', 'token', 'caFile', 'cacheKey'].every((k) => v[k] === undefined || typeof v[k] === 'string');
}

/** `KRYPT_CONFIG_DIR`, else `~/.krypt`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  return env.KRYPT_CONFIG_DIR || join(homedir(), '.krypt');
}

export function configPath(dir: string): string {
  return join(dir, 'config.json');
}

/**
 * Reads config.json; a missing file is an empty config. A directory or file readable by others is
 * tightened (0700 / 0600) and reported through `warn`, never left as it was.
 */
export function readConfig(dir: string, warn: (message: string) => void): CliConfig {
  const file = configPath(dir);
  let text: string;
  try {
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) {
      throw new KryptError('config_unreadable', `${dir} is not a directory`, { hint: 'set KRYPT_CONFIG_DIR to a directory' });
    }
    tighten(dir, 0o700, warn);
    tighten(file, 0o600, warn);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof KryptError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new KryptError('config_unreadable', `cannot read ${file}: ${(err as Error).message}`, {
      hint: 'check the file permissions, or set KRYPT_CONFIG_DIR',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt(file);
  }
  if (!isCliConfig(parsed)) throw corrupt(file);
  return parsed;
}

/** Writes config.json atomically (temp file 0600 + fsync + rename) in a 0700 directory. */
export function writeConfig(dir: string, config: CliConfig): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileAtomic(configPath(dir), JSON.stringify(config, null, 2) + '\n', 0o600);
}

/**
 * Re-reads config.json and writes `change(current)`, so fields another krypt process wrote since
 * this one first read the file survive (the window is a read and a rename, not a network call).
 * A corrupt file counts as empty: the write replaces it.
 */
export function updateConfig(dir: string, change: (current: CliConfig) => CliConfig): CliConfig {
  return withConfigLock(dir, () => {
    let current: CliConfig;
    try {
      current = readConfig(dir, () => undefined);
    } catch (err) {
      if (!(err instanceof KryptError && err.code === 'config_corrupt')) throw err;
      current = {};
    }
    const next = change(current);
    writeConfig(dir, next);
    return next;
  });
}

// How long a writer waits for another's read-modify-write (which takes a read and a rename) before
// taking the lock over; a lock whose holder has exited is taken over at once.
const LOCK_WAIT_MS = 2000;

/**
 * Runs `fn` holding `.config.json.lock` (created exclusively, holding the holder's pid), so two
 * krypt processes updating the config cannot lose each other's change (a login racing the first
 * read that stores the cache key). A lock left by a killed process is removed.
 */
function withConfigLock<T>(dir: string, fn: () => T): T {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, '.config.json.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (holderGone(lock) || Date.now() > deadline) rmSync(lock, { force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function holderGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8'));
  } catch {
    return false;
  }
  // An empty file: its writer is between creating and writing it (or was killed there; the deadline covers that).
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function tighten(path: string, mode: number, warn: (message: string) => void): void {
  const current = statSync(path).mode & 0o777;
  if ((current & ~mode) === 0) return;
  chmodSync(path, mode);
  warn(`${path} had permissions ${current.toString(8).padStart(4, '0')}; tightened to ${mode.toString(8).padStart(4, '0')}`);
}

function corrupt(file: string): KryptError {
  return new KryptError('config_corrupt', `${file} is not a valid Krypt config file`, {
    hint: 'run `krypt login` to write a new one (or delete the file)',
  });
}
