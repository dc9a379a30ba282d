import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  approveRequestSchema,
  changeRequestListQuerySchema,
  changeRequestListResponseSchema,
  changeRequestParamsSchema,
  changeRequestResponseSchema,
  changeRequestShowResponseSchema,
  projectParamsSchema,
  rejectRequestSchema,
  revealQuerySchema,
} from '../../contract/index.js';
import { caller } from '../plugins/auth.js';
import type { ChangeRequestsService } from '../services/change-requests-service.js';

const BASE = '/projects/:slug/change-requests';

/** Listing, showing and deciding change requests. */
export function changeRequestsRoutes(app: FastifyInstance, crs: ChangeRequestsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  r.get(
    BASE,
    { schema: { security, params: projectParamsSchema, querystring: changeRequestListQuerySchema, response: { 200: changeRequestListResponseSchema } } },
    (req) => crs.list(caller(req), req.params.slug, req.query.status),
  );
  r.get(
    `${BASE}/:id`,
    { schema: { security, params: changeRequestParamsSchema, querystring: revealQuerySchema, response: { 200: changeRequestShowResponseSchema } } },
    (req) => crs.show(caller(req), req.params.slug, req.params.id, req.query.reveal ?? false),
  );
  r.post(
    `${BASE}/:id/approve`,
    { schema: { security, params: changeRequestParamsSchema, body: approveRequestSchema.optional(), response: { 200: changeRequestResponseSchema } } },
    (req) => crs.approve(caller(req), req.params.slug, req.params.id, req.body?.force ?? false),
  );
  r.post(
    `${BASE}/:id/reject`,
    { schema: { security, params: changeRequestParamsSchema, body: rejectRequestSchema, response: { 200: changeRequestResponseSchema } } },
    (req) => crs.reject(caller(req), req.params.slug, req.params.id, req.body.reason),
  );
  r.post(
    `${BASE}/:id/cancel`,
    { schema: { security, params: changeRequestParamsSchema, response: { 200: changeRequestResponseSchema } } },
    (req) => crs.cancel(caller(req), req.params.slug, req.params.id),
  );
}
