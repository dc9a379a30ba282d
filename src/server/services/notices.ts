import { WEBHOOK_EVENTS, type WebhookEvent } from '../../contract/webhooks.js';

// What the server tells people and other systems about, as the services describe it: key names,
// emails, roles and numbers, never a value. The outbox turns a notice into emails (notice-emails.ts)
// and webhook deliveries (WEBHOOK_EVENTS).

interface ProjectRef {
  id: string;
  slug: string;
}

export type Notice =
  | { topic: 'invite'; project: ProjectRef; to: string; role: string; invitedBy: string; code: string; expiresAt: string }
  | { topic: 'member.joined'; project: ProjectRef; email: string; role: string }
  | { topic: 'member.removed'; project: ProjectRef; email: string; role: string; by: string }
  | { topic: 'member.role_changed'; project: ProjectRef; email: string; from: string; to: string; by: string }
  | { topic: 'ownership.transferred'; project: ProjectRef; owner: string; previousOwner: string }
  | { topic: 'change_request.created'; project: ProjectRef; environment: string; number: number; requestedBy: string; keys: string[] }
  | {
      topic: 'change_request.decided';
      project: ProjectRef;
      environment: string;
      number: number;
      decision: 'approved' | 'rejected' | 'cancelled';
      reason: string | null;
      decidedBy: string;
      requestedBy: string;
      keys: string[];
    }
  | { topic: 'secrets.changed'; project: ProjectRef; environment: string; revision: number; keys: string[]; by: string }
  | {
      topic: 'api_key.created';
      to: string;
      name: string;
      prefix: string;
      service: { project: string; environment: string } | null;
      expiresAt: string | null;
    };

export type NoticeTopic = Notice['topic'];

/** A notice webhooks may hear about. */
export type WebhookNotice = Extract<Notice, { topic: WebhookEvent }>;
// Fails to compile when a webhook event is no notice topic.
type TopicOf<T extends NoticeTopic> = T;
export type WebhookTopic = TopicOf<WebhookEvent>;

export const isWebhookNotice = (notice: Notice): notice is WebhookNotice => (WEBHOOK_EVENTS as readonly string[]).includes(notice.topic);

/** A webhook's JSON body for a notice: the Standard Webhooks shape (type, timestamp, data), no secrets. */
export function webhookBody(notice: WebhookNotice, at: string): { type: WebhookEvent; timestamp: string; data: Record<string, unknown> } {
  const { topic, project, ...rest } = notice;
  const data: Record<string, unknown> = { project: project.slug, ...rest };
  // A push of thousands of keys names the first WEBHOOK_KEYS of them; keyCount says how many changed.
  if ('keys' in rest) data.keys = rest.keys.slice(0, WEBHOOK_KEYS);
  if ('keys' in rest) data.keyCount = rest.keys.length;
  return { type: topic, timestamp: at, data };
}

/** The most key names one webhook body lists. */
export const WEBHOOK_KEYS = 1000;
