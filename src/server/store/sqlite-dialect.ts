import type SqliteDatabase from 'better-sqlite3';
import { SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase as KyselySqliteDatabase, type SqliteStatement } from 'kysely';

// Kysely's SQLite dialect, except for two things. Kysely prepares every statement afresh (8.7 % of
// the server's CPU on a bulk read): here prepared statements are kept by SQL text and reused
// (bounded, least recently used dropped; Kysely runs one statement at a time on the connection
// and the server never streams a query, so a reused statement is never busy). And on some errors
// (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM in a statement without a statement journal) SQLite
// rolls the whole transaction back by itself. Kysely then sends ROLLBACK, which fails with "cannot rollback - no transaction is
// active", and that error replaces the one that says what happened (e.g. "database or disk is full").

const STATEMENTS_KEPT = 500;

// Statements that cannot change what a kept read (who holds a key, a membership, an environment's
// revision) returns: reads, transaction control, and the writes every request makes (audit entries,
// the chain head). Every other statement counts as a change, so a table added later is covered.
const KEEPS_READS = /^\s*(select\b|pragma\b|begin\b|commit\b|rollback\b|savepoint\b|release\b|(insert\s+into|update)\s+"(audit_log|audit_head|outbox)")/i;

/** The connection as Kysely sees it, with prepared statements reused by SQL text; `changed` hears every statement that may change rows. */
function withStatementCache(sqlite: SqliteDatabase.Database, changed: () => void): KyselySqliteDatabase {
  const kept = new Map<string, SqliteStatement>();
  return {
    prepare(sql) {
      let stmt = kept.get(sql);
      if (stmt) {
        kept.delete(sql);
      } else {
        stmt = KEEPS_READS.test(sql) ? sqlite.prepare(sql) : countingChanges(sqlite.prepare(sql), changed);
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

/**
 * A statement that reports running, successful or not (a failed one may have changed rows before
 * failing). Reported before it runs, too: a read that began earlier must not be kept as current.
 */
function countingChanges(stmt: SqliteDatabase.Statement, changed: () => void): SqliteStatement {
  const run = <T>(fn: () => T): T => {
    changed();
    try {
      return fn();
    } finally {
      changed();
    }
  };
  return {
    reader: stmt.reader,
    all: (params) => run(() => stmt.all(params)),
    run: (params) => run(() => stmt.run(params)),
    iterate: (params) => run(() => stmt.iterate(params)),
  };
}

class SqliteDriverKeepingCause extends SqliteDriver {
  readonly #sqlite: SqliteDatabase.Database;

  constructor(sqlite: SqliteDatabase.Database, changed: () => void) {
    super({ database: withStatementCache(sqlite, changed) });
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
  readonly #dataVersion: SqliteDatabase.Statement;
  #changes = 0;
  #fileVersion: string | undefined;

  constructor(sqlite: SqliteDatabase.Database) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
    this.#dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  }

  override createDriver(): Driver {
    return new SqliteDriverKeepingCause(this.#sqlite, () => void this.#changes++);
  }

  /**
   * A value that differs whenever rows may have changed since it was last taken: a statement of
   * this connection that can change rows (counted at once), or a commit by another connection to
   * the file (SQLite's data_version, e.g. a second process on the same file, which is not a supported
   * set-up but must not be served stale). The pragma costs as much as a small query, so it is taken
   * once per event-loop turn: the requests handled in one turn see the file as it was when the turn
   * began to look.
   */
  storeVersion(): string {
    if (this.#fileVersion === undefined) {
      this.#fileVersion = String(this.#dataVersion.get());
      setImmediate(() => (this.#fileVersion = undefined)).unref();
    }
    return `${this.#changes}:${this.#fileVersion}`;
  }
}
