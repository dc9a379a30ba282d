import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations/migration-provider.js';
import { preparingRepeats } from './postgres-pool.js';
import type { DB, Dialect } from './schema.js';
import { KryptSqliteDialect } from './sqlite-dialect.js';

// Opens the store: SQLite on disk (WAL) or in memory, or a PostgreSQL pool; migrates to the latest schema.

export type DatabaseOptions = { dataDir: string } | { databaseUrl: string } | { memory: true };

/** The SQLite database file's name inside a data directory (a backup restores under this name). */
export const SQLITE_FILE_NAME = 'krypt.db';

/** The SQLite database file of a data directory. */
export function sqliteFile(dataDir: string): string {
  return join(dataDir, SQLITE_FILE_NAME);
}

export interface KryptDatabase {
  db: Kysely<DB>;
  dialect: Dialect;
  /** PostgreSQL only: a new client outside the pool (not yet connected), for a long-lived LISTEN. */
  newClient?: () => pg.Client;
  /**
   * SQLite only: a value that changes whenever rows may have changed (KryptSqliteDialect), so
   * the server may keep reads of rarely changing rows until it does. PostgreSQL has no such cheap
   * signal across replicas: there every read goes to the database.
   */
  storeVersion?: () => string;
  /**
   * PostgreSQL only: a connection of its own for the audit log's group commits, so a batch (which
   * holds the chain head's lock) never queues behind the requests waiting for the pool.
   */
  groupCommitDb?: Kysely<DB>;
  /** Closes the connection(s). */
  destroy(): Promise<void>;
}

/** How opening the store reports what it fixed on the way (e.g. file permissions). */
export interface OpenDatabaseNotices {
  warn?: (message: string) => void;
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/**
 * The database file is created 0600 before SQLite opens it: SQLite gives its -wal and -shm files
 * the main file's mode, and the data directory may be readable by others (an operator's 0755).
 * An existing file with looser bits is tightened, with its -wal/-shm, and reported.
 */
function restrictSqliteFiles(file: string, warn: (message: string) => void): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const loose = [file, `${file}-wal`, `${file}-shm`]
    .filter((f) => existsSync(f))
    .map((f) => ({ file: f, mode: statSync(f).mode & 0o777 }))
    .filter((f) => (f.mode & 0o077) !== 0);
  if (loose.length === 0) return;
  const failed: string[] = [];
  for (const f of loose) {
    try {
      chmodSync(f.file, 0o600);
    } catch (err) {
      failed.push(`${basename(f.file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const names = loose.map((f) => basename(f.file)).join(', ');
  const modes = [...new Set(loose.map((f) => octal(f.mode)))].join(', ');
  const outcome = failed.length === 0 ? 'tightened to 0600' : `could not tighten ${failed.join(', ')}: run chmod 600 on them`;
  const subject = loose.length === 1 ? `file ${names} in ${dirname(file)} was` : `files ${names} in ${dirname(file)} were`;
  warn(`the SQLite ${subject} accessible to other users (mode ${modes}); ${outcome}`);
}

function openSqlite(file: string, notices: OpenDatabaseNotices = {}): { db: Kysely<DB>; storeVersion: () => string } {
  if (file !== ':memory:') restrictSqliteFiles(file, notices.warn ?? (() => undefined));
  const sqlite = new SqliteDatabase(file);
  if (file !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const dialect = new KryptSqliteDialect(sqlite);
  return { db: new Kysely<DB>({ dialect }), storeVersion: () => dialect.storeVersion() };
}

function openPostgres(url: string, max: number): Kysely<DB> {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client dropped by the server (restart, admin termination) must not crash the process;
  // the pool discards it and the next query reconnects or fails with a normal error.
  pool.on('error', () => undefined);
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparingRepeats(pool) }) });
}

/** Opens the database described by the options and runs pending migrations; `notices.warn` hears what was fixed. */
export async function openDatabase(opts: DatabaseOptions, notices: OpenDatabaseNotices = {}): Promise<KryptDatabase> {
  let db: Kysely<DB>;
  let dialect: Dialect;
  let newClient: (() => pg.Client) | undefined;
  let storeVersion: (() => string) | undefined;
  let groupCommitDb: Kysely<DB> | undefined;
  if ('databaseUrl' in opts) {
    if (!/^postgres(ql)?:\/\//.test(opts.databaseUrl)) {
      throw new Error('the database URL must start with postgres:// or postgresql://');
    }
    db = openPostgres(opts.databaseUrl, 10);
    // Connects on first use: maintenance commands that never append open no second connection.
    groupCommitDb = openPostgres(opts.databaseUrl, 1);
    dialect = 'postgres';
    const connectionString = opts.databaseUrl;
    // TCP keepalive so a silently dropped LISTEN connection is noticed and replaced.
    newClient = () =>
      new pg.Client({ connectionString, application_name: 'krypt-change-feed', keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  } else if ('dataDir' in opts) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    ({ db, storeVersion } = openSqlite(sqliteFile(opts.dataDir), notices));
    dialect = 'sqlite';
  } else {
    ({ db, storeVersion } = openSqlite(':memory:'));
    dialect = 'sqlite';
  }
  const destroy = async () => {
    await groupCommitDb?.destroy();
    await db.destroy();
  };
  try {
    await migrate(db);
  } catch (err) {
    await destroy();
    throw err;
  }
  return { db, dialect, ...(newClient ? { newClient } : {}), ...(storeVersion ? { storeVersion } : {}), ...(groupCommitDb ? { groupCommitDb } : {}), destroy };
}

async function migrate(db: Kysely<DB>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
