import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  environmentParamsSchema,
  keysResponseSchema,
  secretParamsSchema,
  secretResponseSchema,
  secretsResponseSchema,
  writeSecretsRequestSchema,
  writeSecretsResponseSchema,
} from '../../contract/index.js';
import { caller } from '../plugins/auth.js';
import type { SecretsService } from '../services/secrets-service.js';

const BASE = '/projects/:slug/environments/:env';

/** Reads and writes of one environment's secrets. */
export function secretsRoutes(app: FastifyInstance, secrets: SecretsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  r.get(
    `${BASE}/secrets`,
    { schema: { security, params: environmentParamsSchema, response: { 200: secretsResponseSchema } } },
    async (req, reply) => {
      const result = await secrets.readAll(caller(req), req.params.slug, req.params.env);
      return reply.header('etag', `"${result.revision}"`).send(result);
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
    {
      schema: {
        security,
        params: environmentParamsSchema,
        body: writeSecretsRequestSchema,
        response: { 200: writeSecretsResponseSchema },
      },
    },
    (req) => secrets.write(caller(req), req.params.slug, req.params.env, req.body),
  );
}
