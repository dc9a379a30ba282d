import { z } from 'zod';
import { WEBHOOK_EVENTS, WEBHOOK_TEST_EVENT, type WebhookEvent } from './constants.js';
import { slugSchema } from './names.js';

export { WEBHOOK_EVENTS, WEBHOOK_TEST_EVENT, type WebhookEvent };

// Webhooks: a project's endpoints that hear what happens in it (never a value), signed per the
// Standard Webhooks scheme, delivered through the server's outbox with retries.

const isoTime = z.string();

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  createdAt: isoTime,
  createdBy: z.string(),
});
export type WebhookInfo = z.infer<typeof webhookSchema>;

export const webhookParamsSchema = z.object({ slug: slugSchema, id: z.string().min(1).max(100) });

/** POST /v1/projects/:slug/webhooks */
export const createWebhookRequestSchema = z
  .object({
    url: z.string().min(1).max(2000),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1, 'name at least one event').max(WEBHOOK_EVENTS.length),
  })
  .strict();
/** The signing secret (whsec_...) is shown once, here. */
export const createWebhookResponseSchema = z.object({ webhook: webhookSchema, secret: z.string() });
export const webhooksResponseSchema = z.object({ webhooks: z.array(webhookSchema) });

export const webhookDeliverySchema = z.object({
  id: z.string(),
  event: z.string(),
  status: z.enum(['pending', 'sent', 'failed']),
  attempts: z.number().int(),
  createdAt: isoTime,
  nextAttemptAt: isoTime.nullable(),
  sentAt: isoTime.nullable(),
  responseStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;
/** GET /v1/projects/:slug/webhooks/:id/deliveries — newest first. */
export const webhookDeliveriesResponseSchema = z.object({ deliveries: z.array(webhookDeliverySchema) });
/** POST /v1/projects/:slug/webhooks/:id/test — the queued delivery. */
export const testWebhookResponseSchema = z.object({ delivery: webhookDeliverySchema });
