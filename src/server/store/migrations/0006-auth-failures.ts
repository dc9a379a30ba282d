import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

// Failed-credential counters shared by the replicas of a PostgreSQL instance: one row per client
// address and window (see services/rate-limit-postgres.ts). Created on SQLite too, like every
// table, though one SQLite process keeps its counters in memory and never writes here.
//
// On PostgreSQL the table is UNLOGGED: the counters are worth nothing after a crash (PostgreSQL
// empties an unlogged table then, and a standby does not have it, so a failover resets the
// budgets), and in exchange a failure's write produces no WAL and its commit waits for no flush:
// an attacker's wrong keys cost the database little.

export const authFailuresMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('auth_failures')
      .$call((t) => (postgres ? t.modifyFront(sql`unlogged`) : t))
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('auth_failures_pkey', ['address', 'window_start'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('auth_failures').execute();
  },
};
