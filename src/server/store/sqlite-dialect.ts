import type SqliteDatabase from 'better-sqlite3';
import { SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase as KyselySqliteDatabase } from 'kysely';

// Kysely's SQLite dialect, except for two things. Kysely prepares every statement afresh (8.7 % of
// the server's CPU on a bulk read): here prepared statements are kept by SQL text and reused
// (bounded, least recently used dropped; Kysely runs one statement at a time on the connection
// and the server never streams a query, so a reused statement is never busy). And on some errors
// (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM in a statement without a statement journal) SQLite
// rolls the whole transaction back by itself. Kysely then sends ROLLBACK, which fails with "cannot rollback - no transaction is
// active", and that error replaces the one that says what happened (e.g. "database or disk is full").

const STATEMENTS_KEPT = 500;

/** The connection as Kysely sees it, with prepared statements reused by SQL text. */
function withStatementCache(sqlite: SqliteDatabase.Database): KyselySqliteDatabase {
  const kept = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(sql) {
      let stmt = kept.get(sql);
      if (stmt) {
        kept.delete(sql);
      } else {
        stmt = sqlite.prepare(sql);
        if (kept.size >= STATEMENTS_KEPT) kept.delete(kept.keys().next().value as string);
      }
      kept.set(sql, stmt);
      return stmt;
    },
    close() {
      kept.clear();
      sqlite.close();
    },
  };
}

class SqliteDriverKeepingCause extends SqliteDriver {
  readonly #sqlite: SqliteDatabase.Database;

  constructor(sqlite: SqliteDatabase.Database) {
    super({ database: withStatementCache(sqlite) });
    this.#sqlite = sqlite;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // Nothing to roll back: SQLite already did, and the caller rethrows the original error.
    if (!this.#sqlite.inTransaction) return;
    await super.rollbackTransaction(connection);
  }
}

/** The SQLite dialect over one better-sqlite3 connection: statements reused, failed transactions keep their real error. */
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
