import { caller } from '../plugins/auth.js';
import type { ApiKeysService } from '../services/api-keys-service.js';
import type { RouteHandlers } from './register-routes.js';

/** GET /v1/me and the caller's personal API keys. */
export function accountRoutes(keys: ApiKeysService): RouteHandlers<'me' | 'listApiKeys' | 'createApiKey' | 'revokeApiKey'> {
  return {
    me: (req) => keys.me(caller(req)),
    listApiKeys: (req) => keys.list(caller(req)),
    createApiKey: (req) => keys.create(caller(req), req.body),
    revokeApiKey: (req) => keys.revoke(caller(req), req.params.id),
  };
}
