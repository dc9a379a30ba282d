import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { WebhookDelivery, WebhookEvent, WebhookInfo } from '../../contract/webhooks.js';
import { encryptValue } from '../crypto/value-crypto.js';
import { deleteWebhook, findWebhook, insertWebhook, listWebhookDeliveries, listWebhooks, type OutboxRow, type WebhookRow } from '../store/outbox-store.js';
import type { DB, Executor } from '../store/schema.js';
import { authorize, requireProjectScope } from './access.js';
import { webhookSecretContext } from './outbox-service.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuthContext, type ServiceDeps } from './service-deps.js';
import { generateWebhookSecret, parseWebhookUrl, resolveDestination } from './webhook-delivery.js';

// A project's webhooks (Owner/Admin): add (the destination checked against internal addresses, the
// signing secret shown once and stored encrypted), list, remove, test, and each one's delivery log.

const MAX_WEBHOOKS = 20;
const DELIVERIES_SHOWN = 50;

// The audit log, which every member reads, names a webhook's origin only: the path and query of a
// webhook URL are often its credential (a Slack URL is).
const toWebhook = (row: WebhookRow, createdBy: string): WebhookInfo => ({
  id: row.id,
  url: row.url,
  events: JSON.parse(row.events) as WebhookEvent[],
  createdAt: row.created_at,
  createdBy,
});

/** A delivery as its webhook's log shows it (never its body). */
export const toDelivery = (row: OutboxRow): WebhookDelivery => ({
  id: row.id,
  event: row.topic,
  status: row.status,
  attempts: row.attempts,
  createdAt: row.created_at,
  nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
  sentAt: row.sent_at,
  responseStatus: row.response_status,
  lastError: row.last_error,
});

/** Creates the webhooks service; `allowPrivate` lets destinations be internal addresses (--webhooks-allow-private). */
export function createWebhooksService(deps: ServiceDeps, opts: { allowPrivate: boolean }) {
  const transaction = <T>(fn: (trx: Transaction<DB>) => Promise<T>) => deps.db.transaction().execute(fn);

  async function managed(trx: Executor, auth: AuthContext, slug: string) {
    const scope = await requireProjectScope(trx, auth, slug);
    authorize(scope, 'manage-webhooks');
    return scope;
  }

  async function requireWebhook(trx: Executor, projectId: string, slug: string, id: string): Promise<WebhookRow> {
    const hook = await findWebhook(trx, projectId, id);
    if (!hook) throw new ServiceError('not_found', `no webhook ${id} in project "${slug}"`);
    return hook;
  }

  const emailOf = async (trx: Executor, userId: string) =>
    (await trx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst())?.email ?? userId;

  return {
    async list(auth: AuthContext, slug: string): Promise<{ webhooks: WebhookInfo[] }> {
      return transaction(async (trx) => {
        const scope = await managed(trx, auth, slug);
        const rows = await listWebhooks(trx, scope.project.id);
        return { webhooks: await Promise.all(rows.map(async (r) => toWebhook(r, await emailOf(trx, r.created_by)))) };
      });
    },

    /** Adds a webhook; its URL must not resolve to an internal address unless the operator allows it. */
    async create(auth: AuthContext, slug: string, body: { url: string; events: WebhookEvent[] }): Promise<{ webhook: WebhookInfo; secret: string }> {
      const url = parseWebhookUrl(body.url);
      // Who asks is checked first: nobody else may make the server resolve names for them. The
      // name is resolved outside the writing transaction (it can take a while), which checks again.
      await transaction((trx) => managed(trx, auth, slug));
      await resolveDestination(url, opts.allowPrivate);
      return transaction(async (trx) => {
        const scope = await managed(trx, auth, slug);
        if ((await listWebhooks(trx, scope.project.id)).length >= MAX_WEBHOOKS) {
          throw new ServiceError('conflict', `project "${slug}" already has ${MAX_WEBHOOKS} webhooks, the most it may have; remove one first`);
        }
        const id = randomUUID();
        const secret = generateWebhookSecret();
        const events = [...new Set(body.events)].sort();
        const stored = encryptValue(deps.keys, webhookSecretContext({ id, project_id: scope.project.id }), secret);
        const row: WebhookRow = {
          id,
          project_id: scope.project.id,
          url: url.toString(),
          events: JSON.stringify(events),
          secret: stored.value,
          secret_tag: stored.tag,
          created_at: deps.now().toISOString(),
          created_by: auth.user.id,
        };
        await insertWebhook(trx, row);
        await deps.audit.record(trx, { ...auditActor(auth), action: 'webhook.create', project: scope.audit, environment: null, details: { webhook: id, destination: url.origin, events: events.join(',') } });
        return { webhook: toWebhook(row, auth.user.email), secret };
      });
    },

    async remove(auth: AuthContext, slug: string, id: string): Promise<void> {
      await transaction(async (trx) => {
        const scope = await managed(trx, auth, slug);
        const hook = await requireWebhook(trx, scope.project.id, slug, id);
        await deleteWebhook(trx, scope.project.id, id);
        await deps.audit.record(trx, { ...auditActor(auth), action: 'webhook.delete', project: scope.audit, environment: null, details: { webhook: id, destination: new URL(hook.url).origin } });
      });
    },

    /** Queues a signed `webhook.test` delivery; its outcome shows in the delivery log. */
    async test(auth: AuthContext, slug: string, id: string): Promise<{ delivery: WebhookDelivery }> {
      return transaction(async (trx) => {
        const scope = await managed(trx, auth, slug);
        const hook = await requireWebhook(trx, scope.project.id, slug, id);
        return { delivery: toDelivery(await deps.outbox.enqueueWebhookTest(trx, hook, auth.user.email)) };
      });
    },

    async deliveries(auth: AuthContext, slug: string, id: string): Promise<{ deliveries: WebhookDelivery[] }> {
      return transaction(async (trx) => {
        const scope = await managed(trx, auth, slug);
        await requireWebhook(trx, scope.project.id, slug, id);
        return { deliveries: (await listWebhookDeliveries(trx, id, DELIVERIES_SHOWN)).map(toDelivery) };
      });
    },
  };
}
export type WebhooksService = ReturnType<typeof createWebhooksService>;
