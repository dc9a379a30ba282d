import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { healthResponseSchema } from '../../contract/index.js';

/** Unauthenticated liveness probe and the OpenAPI document. */
export function healthRoutes(app: FastifyInstance): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/healthz', { schema: { response: { 200: healthResponseSchema } } }, () => ({ status: 'ok' as const }));
  r.get('/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
