import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';

// Online snapshot of a SQLite store with SQLite's backup API: a consistent copy of the last
// committed state, taken through an ordinary connection alongside a running server (WAL mode).

/** What a finished snapshot holds; counts are read back from the snapshot itself. */
export interface SqliteSnapshot {
  bytes: number;
  secrets: number;
  versions: number;
}

/** Thrown when `out` already exists: a snapshot never overwrites a file. */
export class SnapshotExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists`);
    this.name = 'SnapshotExistsError';
  }
}

/**
 * Copies the database file `source` to the new file `out` (created 0600, never overwritten),
 * then checks the copy with `PRAGMA integrity_check`. A failed copy leaves no file behind.
 */
export async function snapshotSqlite(source: string, out: string): Promise<SqliteSnapshot> {
  try {
    // Reserve the name with the final mode; the backup writes pages into this (empty) file.
    closeSync(openSync(out, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new SnapshotExistsError(out);
    throw err;
  }
  try {
    const src = new SqliteDatabase(source, { fileMustExist: true });
    try {
      src.pragma('busy_timeout = 5000');
      // Copy every remaining page in one step, inside one read transaction: stepping (the default 100
      // pages per tick) restarts whenever the server commits meanwhile, and could starve under steady writes.
      await src.backup(out, { progress: () => 0x7fffffff });
    } finally {
      src.close();
    }
    const copy = new SqliteDatabase(out, { fileMustExist: true });
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`the snapshot failed its integrity check (${String(check)})`);
      const count = (table: string) => Number((copy.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
      const snapshot = { secrets: count('secrets'), versions: count('secret_versions') };
      // Fold the snapshot's WAL (if any) back into the one file, so FILE alone is the backup.
      copy.pragma('journal_mode = DELETE');
      copy.close();
      return { ...snapshot, bytes: statSync(out).size };
    } finally {
      if (copy.open) copy.close();
    }
  } catch (err) {
    rmSync(out, { force: true });
    rmSync(`${out}-journal`, { force: true });
    rmSync(`${out}-wal`, { force: true });
    rmSync(`${out}-shm`, { force: true });
    throw err;
  }
}
