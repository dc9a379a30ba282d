import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations/migration-provider.js';
import type { DB, Dialect } from './schema.js';
import { KryptSqliteDialect } from './sqlite-dialect.js';

// Opens the store: SQLite on disk (WAL) or in memory, or a PostgreSQL pool; migrates to the latest schema.

export type DatabaseOptions = { dataDir: string } | { databaseUrl: string } | { memory: true };

export interface KryptDatabase {
  db: Kysely<DB>;
  dialect: Dialect;
  /** PostgreSQL only: a new client outside the pool (not yet connected), for a long-lived LISTEN. */
  newClient?: () => pg.Client;
  /** Closes the connection(s). */
  destroy(): Promise<void>;
}

function openSqlite(file: string): Kysely<DB> {
  const sqlite = new SqliteDatabase(file);
  if (file !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<DB>({ dialect: new KryptSqliteDialect(sqlite) });
}

function openPostgres(url: string): Kysely<DB> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client dropped by the server (restart, admin termination) must not crash the process;
  // the pool discards it and the next query reconnects or fails with a normal error.
  pool.on('error', () => undefined);
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/** Opens the database described by the options and runs pending migrations. */
export async function openDatabase(opts: DatabaseOptions): Promise<KryptDatabase> {
  let db: Kysely<DB>;
  let dialect: Dialect;
  let newClient: (() => pg.Client) | undefined;
  if ('databaseUrl' in opts) {
    if (!/^postgres(ql)?:\/\//.test(opts.databaseUrl)) {
      throw new Error('the database URL must start with postgres:// or postgresql://');
    }
    db = openPostgres(opts.databaseUrl);
    dialect = 'postgres';
    const connectionString = opts.databaseUrl;
    // TCP keepalive so a silently dropped LISTEN connection is noticed and replaced.
    newClient = () =>
      new pg.Client({ connectionString, application_name: 'krypt-change-feed', keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  } else if ('dataDir' in opts) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    db = openSqlite(join(opts.dataDir, 'krypt.db'));
    dialect = 'sqlite';
  } else {
    db = openSqlite(':memory:');
    dialect = 'sqlite';
  }
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, dialect, ...(newClient ? { newClient } : {}), destroy: () => db.destroy() };
}

async function migrate(db: Kysely<DB>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
