import type { WriteSecretsResponse } from '../../contract/index.js';
import { caller } from '../plugins/auth.js';
import { sendSerializedOnce } from '../plugins/response-serializer.js';
import type { HistoryService } from '../services/history-service.js';
import type { SecretsService } from '../services/secrets-service.js';
import type { RouteHandlers } from './register-routes.js';

type SecretRoutes = 'getSecrets' | 'listKeys' | 'compareEnvironments' | 'getSecret' | 'writeSecrets' | 'secretHistory' | 'rollbackSecret';

// 200 when applied; 202 when held as a pending change request.
// Every response that can carry a value is kept out of browser and proxy caches.
const NO_STORE = 'no-store';
const writeStatus = (result: WriteSecretsResponse) => ('changeRequest' in result ? 202 : 200);

/** Reads, writes, history and rollback of one environment's secrets. */
export function secretsRoutes(secrets: SecretsService, history: HistoryService): RouteHandlers<SecretRoutes> {
  return {
    getSecrets: async (req, reply) => {
      const result = await secrets.readAll(caller(req), req.params.slug, req.params.env, revisionFromEtag(req.headers['if-none-match']));
      reply.header('etag', `"${result.revision}"`).header('cache-control', NO_STORE);
      if ('notModified' in result) return reply.code(304).send();
      // The values object is shared by every read of this revision: its bytes are written once.
      return sendSerializedOnce(reply, result, 'secrets');
    },
    listKeys: async (req, reply) => {
      const result = await secrets.listKeys(caller(req), req.params.slug, req.params.env);
      return reply.header('etag', `"${result.revision}"`).send(result);
    },
    compareEnvironments: (req) => secrets.compare(caller(req), req.params.slug),
    getSecret: async (req, reply) => {
      const result = await secrets.readOne(caller(req), req.params.slug, req.params.env, req.params.key);
      return reply.header('cache-control', NO_STORE).send(result);
    },
    writeSecrets: async (req, reply) => {
      const result = await secrets.write(caller(req), req.params.slug, req.params.env, req.body);
      return reply.code(writeStatus(result)).send(result);
    },
    secretHistory: async (req, reply) => {
      const result = await history.history(caller(req), req.params.slug, req.params.env, req.params.key, req.query.reveal ?? false);
      return reply.header('cache-control', NO_STORE).send(result);
    },
    rollbackSecret: async (req, reply) => {
      const result = await history.rollback(caller(req), req.params.slug, req.params.env, req.params.key, req.body.version);
      return reply.code(writeStatus(result)).send(result);
    },
  };
}

/** The revision named by an `If-None-Match: "N"` header (the ETag this route sends), if any. */
function revisionFromEtag(header: string | undefined): number | undefined {
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header ?? '');
  return match ? Number(match[1]) : undefined;
}
