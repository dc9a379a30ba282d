import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  appliedWriteSchema,
  environmentParamsSchema,
  keysResponseSchema,
  pendingWriteSchema,
  revealQuerySchema,
  rollbackRequestSchema,
  secretHistoryResponseSchema,
  secretParamsSchema,
  secretResponseSchema,
  secretsResponseSchema,
  writeSecretsRequestSchema,
  type WriteSecretsResponse,
} from '../../contract/index.js';
import { caller } from '../plugins/auth.js';
import type { HistoryService } from '../services/history-service.js';
import type { SecretsService } from '../services/secrets-service.js';

const BASE = '/projects/:slug/environments/:env';
// 200 when applied; 202 when held as a pending change request.
const writeResponses = { 200: appliedWriteSchema, 202: pendingWriteSchema };
const writeStatus = (result: WriteSecretsResponse) => ('changeRequest' in result ? 202 : 200);

/** Reads, writes, history and rollback of one environment's secrets. */
export function secretsRoutes(app: FastifyInstance, secrets: SecretsService, history: HistoryService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  r.get(
    `${BASE}/secrets`,
    { schema: { security, params: environmentParamsSchema, response: { 200: secretsResponseSchema, 304: z.null().describe('Not modified: the client already holds this revision') } } },
    async (req, reply) => {
      const result = await secrets.readAll(caller(req), req.params.slug, req.params.env, revisionFromEtag(req.headers['if-none-match']));
      reply.header('etag', `"${result.revision}"`);
      return 'notModified' in result ? reply.code(304).send(null) : reply.send(result);
    },
  );
  r.get(
    `${BASE}/keys`,
    { schema: { security, params: environmentParamsSchema, response: { 200: keysResponseSchema } } },
    async (req, reply) => {
      const result = await secrets.listKeys(caller(req), req.params.slug, req.params.env);
      return reply.header('etag', `"${result.revision}"`).send(result);
    },
  );
  r.get(
    `${BASE}/secrets/:key`,
    { schema: { security, params: secretParamsSchema, response: { 200: secretResponseSchema } } },
    (req) => secrets.readOne(caller(req), req.params.slug, req.params.env, req.params.key),
  );
  r.patch(
    `${BASE}/secrets`,
    { schema: { security, params: environmentParamsSchema, body: writeSecretsRequestSchema, response: writeResponses } },
    async (req, reply) => {
      const result = await secrets.write(caller(req), req.params.slug, req.params.env, req.body);
      return reply.code(writeStatus(result)).send(result);
    },
  );
  r.get(
    `${BASE}/secrets/:key/history`,
    { schema: { security, params: secretParamsSchema, querystring: revealQuerySchema, response: { 200: secretHistoryResponseSchema } } },
    (req) => history.history(caller(req), req.params.slug, req.params.env, req.params.key, req.query.reveal ?? false),
  );
  r.post(
    `${BASE}/secrets/:key/rollback`,
    { schema: { security, params: secretParamsSchema, body: rollbackRequestSchema, response: writeResponses } },
    async (req, reply) => {
      const result = await history.rollback(caller(req), req.params.slug, req.params.env, req.params.key, req.body.version);
      return reply.code(writeStatus(result)).send(result);
    },
  );
}

/** The revision named by an `If-None-Match: "N"` header (the ETag this route sends), if any. */
function revisionFromEtag(header: string | undefined): number | undefined {
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header ?? '');
  return match ? Number(match[1]) : undefined;
}
