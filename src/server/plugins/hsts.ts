import type { FastifyInstance } from 'fastify';

// HTTP Strict Transport Security on every response: successes, errors, 404s, /healthz. Sent on an
// onSend hook (it runs for error and not-found replies too); browsers ignore it over plain http.

export const HSTS_HEADER = 'max-age=63072000; includeSubDomains';

/** Adds `Strict-Transport-Security` to every reply of the app. */
export function registerHsts(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('strict-transport-security', HSTS_HEADER);
    return payload;
  });
}
