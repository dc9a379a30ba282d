import type { Kysely, Migration } from 'kysely';

// Teams and governance: one-time invites (code stored hashed), change requests with their proposed
// (encrypted) items, and the scope of read-only service tokens.

export const teamsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('invites')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('used_by', 'text')
      .execute();
    await db.schema.createIndex('invites_project_idx').on('invites').columns(['project_id', 'email']).execute();
    await db.schema
      .createTable('change_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id').onDelete('cascade'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('base_revision', 'integer', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('reason', 'text')
      .addUniqueConstraint('change_requests_project_number_unique', ['project_id', 'number'])
      .execute();
    await db.schema
      .createTable('change_request_items')
      .addColumn('change_request_id', 'text', (c) => c.notNull().references('change_requests.id').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      // Encrypted like secrets (iv:ct + tag), bound to the change request; null for a delete.
      .addColumn('value', 'text')
      .addColumn('tag', 'text')
      .addPrimaryKeyConstraint('change_request_items_pk', ['change_request_id', 'key'])
      .execute();
    // One column per statement: SQLite adds columns one at a time.
    await db.schema
      .alterTable('api_keys')
      .addColumn('service_project_id', 'text', (c) => c.references('projects.id').onDelete('cascade'))
      .execute();
    await db.schema.alterTable('api_keys').addColumn('service_environment', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('api_keys').dropColumn('service_environment').execute();
    await db.schema.alterTable('api_keys').dropColumn('service_project_id').execute();
    for (const table of ['change_request_items', 'change_requests', 'invites']) await db.schema.dropTable(table).execute();
  },
};
