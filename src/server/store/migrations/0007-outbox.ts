import type { Kysely, Migration } from 'kysely';

// The transactional outbox: every email and webhook delivery is a row written in the transaction
// of the event that causes it, and sent after commit by whichever replica claims it first (a claim
// is a lease: a sender that dies mid-delivery leaves the row to be claimed again once it lapses).
// The message itself (subject, bodies, a webhook's payload) is stored encrypted under the master
// key, like a value: an invite's one-time code travels in its email. Recipient, topic and state are
// plain so `krypt server outbox` can list deliveries without the key.
//
// Webhooks: a project's endpoints, with the events each wants and its signing secret (encrypted).

export const outboxMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('secret_tag', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webhooks_project_idx').on('webhooks').columns(['project_id', 'created_at']).execute();
    await db.schema
      .createTable('outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('project_id', 'text')
      .addColumn('webhook_id', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('payload_tag', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('claimed_by', 'text')
      .addColumn('claimed_until', 'text')
      .addColumn('last_error', 'text')
      .addColumn('response_status', 'integer')
      .addColumn('sent_at', 'text')
      .execute();
    await db.schema.createIndex('outbox_due_idx').on('outbox').columns(['status', 'next_attempt_at']).execute();
    await db.schema.createIndex('outbox_webhook_idx').on('outbox').columns(['webhook_id', 'created_at']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('outbox').execute();
    await db.schema.dropTable('webhooks').execute();
  },
};
