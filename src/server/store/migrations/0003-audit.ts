import type { Kysely, Migration } from 'kysely';

// The hash-chained audit log and its one-row chain head. Entry ids are assigned by the appender
// from the head (not by a sequence), so they are contiguous and part of each entry's hash.

export const GENESIS_HASH = '0'.repeat(64);

export const auditMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_user_id', 'text')
      .addColumn('actor_email', 'text')
      .addColumn('key_id', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      // No foreign keys: entries outlive the projects, users and keys they mention.
      .addColumn('project_id', 'text')
      .addColumn('project_slug', 'text')
      .addColumn('environment', 'text')
      .addColumn('keys', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('command', 'text')
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_log_project_idx').on('audit_log').columns(['project_id', 'id']).execute();
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('last_id', 'bigint', (c) => c.notNull())
      .addColumn('last_hash', 'text', (c) => c.notNull())
      .execute();
    await (db as Kysely<{ audit_head: { id: number; last_id: number; last_hash: string } }>)
      .insertInto('audit_head')
      .values({ id: 1, last_id: 0, last_hash: GENESIS_HASH })
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('audit_head').execute();
    await db.schema.dropTable('audit_log').execute();
  },
};
