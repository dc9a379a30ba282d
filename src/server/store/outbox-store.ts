import type { Executor, OutboxTable, WebhooksTable } from './schema.js';

// The outbox's rows and the webhooks they may be for. A delivery is claimed with one conditional
// UPDATE (only the replica whose UPDATE changed the row holds it), so replicas never send one row
// twice while a lease lasts, and no lock outlives a statement.

export type OutboxRow = OutboxTable;
export type WebhookRow = WebhooksTable;

export async function insertOutboxRows(db: Executor, rows: OutboxRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('outbox').values(rows).execute();
}

/** Ids of pending deliveries on these channels due at `now` and not leased to a sender, oldest first. */
export async function findDueOutboxIds(db: Executor, channels: readonly OutboxRow['channel'][], now: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('outbox')
    .select('id')
    .where('status', '=', 'pending')
    .where('channel', 'in', [...channels])
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .orderBy('next_attempt_at')
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Leases one due delivery to `sender` until `until`; the row when this call won it, else undefined. */
export async function claimOutboxRow(db: Executor, id: string, sender: string, now: string, until: string): Promise<OutboxRow | undefined> {
  return db
    .updateTable('outbox')
    .set({ claimed_by: sender, claimed_until: until })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
    .returningAll()
    .executeTakeFirst();
}

/** What became of one attempt; applied only while `sender` still holds the lease. */
export interface OutboxOutcome {
  status: OutboxRow['status'];
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  responseStatus: number | null;
  sentAt: string | null;
}

/** Records an attempt's outcome and releases the lease; false when the lease had lapsed (another sender may hold the row). */
export async function settleOutboxRow(db: Executor, id: string, sender: string, outcome: OutboxOutcome): Promise<boolean> {
  const result = await db
    .updateTable('outbox')
    .set({
      status: outcome.status,
      attempts: outcome.attempts,
      next_attempt_at: outcome.nextAttemptAt,
      last_error: outcome.lastError,
      response_status: outcome.responseStatus,
      sent_at: outcome.sentAt,
      claimed_by: null,
      claimed_until: null,
      // A sent message is not kept (an invite's code was in it); a failed one stays for a retry.
      ...(outcome.status === 'sent' ? { payload: '', payload_tag: '' } : {}),
    })
    .where('id', '=', id)
    .where('claimed_by', '=', sender)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deliveries not yet sent (pending or failed), oldest first: `krypt server outbox`. */
export async function listUnsentOutbox(db: Executor, limit: number): Promise<OutboxRow[]> {
  return db.selectFrom('outbox').selectAll().where('status', '!=', 'sent').orderBy('created_at').orderBy('id').limit(limit).execute();
}

/** How many deliveries are in each state. */
export async function countOutbox(db: Executor): Promise<Record<OutboxRow['status'], number>> {
  const rows = await db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('status').execute();
  const counts = { pending: 0, sent: 0, failed: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

/** Puts every failed delivery back in line; returns how many. */
export async function retryFailedOutbox(db: Executor, now: string): Promise<number> {
  const result = await db.updateTable('outbox').set({ status: 'pending', attempts: 0, next_attempt_at: now, last_error: null }).where('status', '=', 'failed').executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The encrypted payloads of every delivery not yet sent (re-encrypted by rotate-key). */
export async function listOutboxPayloads(db: Executor): Promise<Pick<OutboxRow, 'id' | 'project_id' | 'payload' | 'payload_tag'>[]> {
  return db.selectFrom('outbox').select(['id', 'project_id', 'payload', 'payload_tag']).where('status', '!=', 'sent').execute();
}

export async function updateOutboxPayload(db: Executor, id: string, payload: string, tag: string): Promise<void> {
  await db.updateTable('outbox').set({ payload, payload_tag: tag }).where('id', '=', id).execute();
}

export async function insertWebhook(db: Executor, row: WebhookRow): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

export async function listWebhooks(db: Executor, projectId: string): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('project_id', '=', projectId).orderBy('created_at').orderBy('id').execute();
}

export async function findWebhook(db: Executor, projectId: string, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

/** Removes a webhook with its delivery log; deliveries not yet sent to it are dropped. */
export async function deleteWebhook(db: Executor, projectId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('webhooks').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) !== 1) return false;
  await db.deleteFrom('outbox').where('webhook_id', '=', id).execute();
  return true;
}

/** Every webhook's encrypted secret (re-encrypted by rotate-key). */
export async function listWebhookSecrets(db: Executor): Promise<Pick<WebhookRow, 'id' | 'project_id' | 'secret' | 'secret_tag'>[]> {
  return db.selectFrom('webhooks').select(['id', 'project_id', 'secret', 'secret_tag']).execute();
}

export async function updateWebhookSecret(db: Executor, id: string, secret: string, tag: string): Promise<void> {
  await db.updateTable('webhooks').set({ secret, secret_tag: tag }).where('id', '=', id).execute();
}

/** A webhook's deliveries, newest first (its delivery log). */
export async function listWebhookDeliveries(db: Executor, webhookId: string, limit: number): Promise<OutboxRow[]> {
  return db.selectFrom('outbox').selectAll().where('webhook_id', '=', webhookId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
