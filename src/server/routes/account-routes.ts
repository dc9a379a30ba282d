import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  apiKeyListResponseSchema,
  apiKeyParamsSchema,
  createApiKeyRequestSchema,
  createApiKeyResponseSchema,
  meResponseSchema,
} from '../../contract/index.js';
import { caller } from '../plugins/auth.js';
import type { ApiKeysService } from '../services/api-keys-service.js';

/** GET /v1/me and the caller's personal API keys. */
export function accountRoutes(app: FastifyInstance, keys: ApiKeysService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  r.get('/me', { schema: { security, response: { 200: meResponseSchema } } }, (req) => keys.me(caller(req)));
  r.get('/keys', { schema: { security, response: { 200: apiKeyListResponseSchema } } }, (req) => keys.list(caller(req)));
  r.post(
    '/keys',
    { schema: { security, body: createApiKeyRequestSchema, response: { 201: createApiKeyResponseSchema } } },
    async (req, reply) => reply.code(201).send(await keys.create(caller(req), req.body)),
  );
  r.delete('/keys/:id', { schema: { security, params: apiKeyParamsSchema } }, async (req, reply) => {
    await keys.revoke(caller(req), req.params.id);
    return reply.code(204).send();
  });
}
