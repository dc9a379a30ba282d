import { chmodSync, closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

// Temp files are named `.<target>.<pid>.<random>.tmp` beside their target. A writer killed between
// creating its temp file and the rename leaves one behind (it may hold a token); the next write of
// the same target deletes those whose writer no longer runs, so a leftover lives at most until then.
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Is `name` a temp file of writeFileAtomic (current or earlier naming)? */
export function isAtomicTempName(name: string): boolean {
  return TEMP_NAME.test(name) || /^\.[0-9a-f]+\.tmp$/.test(name);
}

/**
 * Atomic write: a reader sees the old file or the new one, never a torn one; the mode holds from the
 * first byte. `durable: false` skips the fsync, for files whose loss is harmless (offline copies,
 * rewritten on every read of `krypt run`/`get`) — atomicity still holds.
 */
export function writeFileAtomic(file: string, content: string, mode: number, options: { durable?: boolean } = {}): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, content);
    if (options.durable !== false) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  removeAbandonedTemps(dir, basename(file));
}

/** Deletes temp files of `target` left by writers that died; a live writer's temp file is never touched. */
export function removeAbandonedTemps(dir: string, target: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || m[1] !== target || writerAlive(Number(m[2]))) continue;
    rmSync(join(dir, name), { force: true });
  }
}

function writerAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
