import { caller } from '../plugins/auth.js';
import type { WebhooksService } from '../services/webhooks-service.js';
import type { RouteHandlers } from './register-routes.js';

type WebhookRoutes = 'listWebhooks' | 'createWebhook' | 'deleteWebhook' | 'testWebhook' | 'listWebhookDeliveries';

/** A project's webhooks; the signing secret is in the 201 of createWebhook only (never cached). */
export function webhooksRoutes(webhooks: WebhooksService): RouteHandlers<WebhookRoutes> {
  return {
    listWebhooks: (req) => webhooks.list(caller(req), req.params.slug),
    createWebhook: async (req, reply) => reply.code(201).header('cache-control', 'no-store').send(await webhooks.create(caller(req), req.params.slug, req.body)),
    deleteWebhook: (req) => webhooks.remove(caller(req), req.params.slug, req.params.id),
    testWebhook: async (req, reply) => reply.code(202).send(await webhooks.test(caller(req), req.params.slug, req.params.id)),
    listWebhookDeliveries: (req) => webhooks.deliveries(caller(req), req.params.slug, req.params.id),
  };
}
