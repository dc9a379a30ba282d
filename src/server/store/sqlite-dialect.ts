import type SqliteDatabase from 'better-sqlite3';
import { SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';

// Kysely's SQLite dialect, except for one thing. On some errors (SQLITE_FULL, SQLITE_IOERR,
// SQLITE_NOMEM in a statement without a statement journal) SQLite rolls the whole transaction back
// by itself. Kysely then sends ROLLBACK, which fails with "cannot rollback - no transaction is
// active", and that error replaces the one that says what happened (e.g. "database or disk is full").

class SqliteDriverKeepingCause extends SqliteDriver {
  readonly #sqlite: SqliteDatabase.Database;

  constructor(sqlite: SqliteDatabase.Database) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // Nothing to roll back: SQLite already did, and the caller rethrows the original error.
    if (!this.#sqlite.inTransaction) return;
    await super.rollbackTransaction(connection);
  }
}

/** The SQLite dialect over one better-sqlite3 connection, whose failed transactions keep their real error. */
export class KryptSqliteDialect extends SqliteDialect {
  readonly #sqlite: SqliteDatabase.Database;

  constructor(sqlite: SqliteDatabase.Database) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
  }

  override createDriver(): Driver {
    return new SqliteDriverKeepingCause(this.#sqlite);
  }
}
