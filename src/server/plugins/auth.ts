import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../services/auth-service.js';
import type { AuthContext } from '../services/service-deps.js';
import { ServiceError } from '../services/service-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

/** Adds bearer authentication to every route of `scope` (an encapsulated /v1 plugin). */
export function registerAuth(scope: FastifyInstance, auth: AuthService): void {
  scope.addHook('onRequest', async (req) => {
    req.auth = await auth.authenticate(req.headers.authorization);
  });
}

/** The authenticated caller of a /v1 request. */
export function caller(req: FastifyRequest): AuthContext {
  if (!req.auth) throw new ServiceError('unauthorized', 'invalid or expired API key');
  return req.auth;
}
