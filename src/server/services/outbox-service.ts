import { randomUUID } from 'node:crypto';
import { decryptValue, encryptValue, type DerivedKeys, type ValueContext } from '../crypto/value-crypto.js';
import { listMembers } from '../store/members-store.js';
import { WEBHOOK_TEST_EVENT } from '../../contract/webhooks.js';
import { insertOutboxRows, listWebhooks, type OutboxRow, type WebhookRow } from '../store/outbox-store.js';
import type { Executor } from '../store/schema.js';
import { noticeEmails, type Email } from './notice-emails.js';
import { isWebhookNotice, webhookBody, type Notice } from './notices.js';

// The writing half of the transactional outbox: a service calls `enqueue` with the transaction of
// the event, so the deliveries commit (or roll back) with it; the sender (outbox-sender.ts) sends
// them after commit. A notice becomes one row per email and one per subscribed webhook.

/** An email's stored message; a webhook's JSON body. */
export type OutboxPayload = { channel: 'email'; email: Email } | { channel: 'webhook'; body: string };

export interface Outbox {
  /** Stores the notice's deliveries in `trx`; `origin` (the request's public origin) may go into an invite's links when the operator set no public URL. */
  enqueue(trx: Executor, notice: Notice, origin?: string | null): Promise<void>;
  /** Stores a test delivery to one webhook (`krypt webhooks test`), whatever events it wants. */
  enqueueWebhookTest(trx: Executor, hook: WebhookRow, by: string): Promise<OutboxRow>;
}

export interface OutboxOptions {
  keys: DerivedKeys;
  now: () => Date;
  /** Email is configured (--smtp-url): notices become emails. Without it none are stored. */
  email: boolean;
  /** The dashboard's public origin for links in emails (--public-url); default the request's. */
  publicUrl?: string;
  /** Hears that rows were stored (the sender wakes shortly after, once they have committed). */
  onEnqueued?: () => void;
}

const MANAGERS = new Set(['owner', 'admin']);

/** Where a delivery's payload is bound: its row, so a payload cannot be moved to another delivery. */
export const outboxContext = (row: Pick<OutboxRow, 'id' | 'project_id'>): ValueContext => ({ projectId: row.project_id ?? '', environment: '', key: row.id, version: 0, purpose: 'outbox' });

/** Where a webhook's signing secret is bound: its webhook row. */
export const webhookSecretContext = (hook: { id: string; project_id: string }): ValueContext => ({ projectId: hook.project_id, environment: '', key: hook.id, version: 0, purpose: 'webhook-secret' });

/** Decrypts a claimed row's payload. */
export function readOutboxPayload(keys: DerivedKeys, row: Pick<OutboxRow, 'id' | 'project_id' | 'payload' | 'payload_tag'>): OutboxPayload {
  return JSON.parse(decryptValue(keys, outboxContext(row), { value: row.payload, tag: row.payload_tag })) as OutboxPayload;
}

/** Creates the outbox writer the services share. */
export function createOutbox(opts: OutboxOptions): Outbox {
  function row(channel: OutboxRow['channel'], topic: string, recipient: string, projectId: string | null, webhookId: string | null, payload: OutboxPayload, at: string): OutboxRow {
    const id = randomUUID();
    const stored = encryptValue(opts.keys, outboxContext({ id, project_id: projectId }), JSON.stringify(payload));
    return {
      id,
      channel,
      topic,
      recipient,
      project_id: projectId,
      webhook_id: webhookId,
      payload: stored.value,
      payload_tag: stored.tag,
      status: 'pending',
      attempts: 0,
      created_at: at,
      next_attempt_at: at,
      claimed_by: null,
      claimed_until: null,
      last_error: null,
      response_status: null,
      sent_at: null,
    };
  }

  return {
    async enqueue(trx, notice, origin) {
      const at = opts.now().toISOString();
      const projectId = 'project' in notice ? notice.project.id : null;
      const rows: OutboxRow[] = [];
      if (opts.email) {
        const managers =
          notice.topic === 'change_request.created' ? (await listMembers(trx, notice.project.id)).filter((m) => MANAGERS.has(m.role)).map((m) => m.email) : [];
        // The request's Host is the caller's to choose: it may shape the links of an invite (the
        // inviter picks its recipient and holds its code anyway), never those of an email another
        // member receives about the caller's action, which would make phishing links easy.
        const linkOrigin = opts.publicUrl ?? (notice.topic === 'invite' ? (origin ?? null) : null);
        const emails = noticeEmails(notice, { origin: linkOrigin, managers });
        for (const email of emails) rows.push(row('email', notice.topic, email.to, projectId, null, { channel: 'email', email }, at));
      }
      if (projectId !== null && isWebhookNotice(notice)) {
        const body = JSON.stringify(webhookBody(notice, at));
        for (const hook of await listWebhooks(trx, projectId)) {
          if ((JSON.parse(hook.events) as string[]).includes(notice.topic)) rows.push(row('webhook', notice.topic, hook.url, projectId, hook.id, { channel: 'webhook', body }, at));
        }
      }
      await insertOutboxRows(trx, rows);
      if (rows.length > 0) opts.onEnqueued?.();
    },

    async enqueueWebhookTest(trx, hook, by) {
      const at = opts.now().toISOString();
      const body = JSON.stringify({ type: WEBHOOK_TEST_EVENT, timestamp: at, data: { webhook: hook.id, by } });
      const test = row('webhook', WEBHOOK_TEST_EVENT, hook.url, hook.project_id, hook.id, { channel: 'webhook', body }, at);
      await insertOutboxRows(trx, [test]);
      opts.onEnqueued?.();
      return test;
    },
  };
}
