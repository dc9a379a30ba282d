import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { auditQuerySchema, auditResponseSchema, projectParamsSchema } from '../../contract/index.js';
import { caller } from '../plugins/auth.js';
import type { AuditService } from '../services/audit-service.js';

/** A project's audit log. */
export function auditRoutes(app: FastifyInstance, audit: AuditService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/projects/:slug/audit',
    {
      schema: {
        security: [{ bearer: [] }],
        params: projectParamsSchema,
        querystring: auditQuerySchema,
        response: { 200: auditResponseSchema },
      },
    },
    (req) => audit.list(caller(req), req.params.slug, req.query),
  );
}
