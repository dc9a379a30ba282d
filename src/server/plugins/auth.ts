import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { CLI_COMMAND_HEADER } from '../../contract/index.js';
import type { AuthService } from '../services/auth-service.js';
import type { AuthContext, ClientInfo } from '../services/service-deps.js';
import { ServiceError } from '../services/service-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

// Client-supplied strings end up in the audit log: bound their length.
const MAX_USER_AGENT = 256;
const MAX_COMMAND = 100;

function header(req: FastifyRequest, name: string, max: number): string | null {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return null;
  return value.slice(0, max);
}

/** Where the request came from, as the audit log records it. */
export function clientInfo(req: FastifyRequest): ClientInfo {
  return {
    ip: req.ip ? req.ip.slice(0, 64) : null,
    userAgent: header(req, 'user-agent', MAX_USER_AGENT),
    command: header(req, CLI_COMMAND_HEADER, MAX_COMMAND),
  };
}

/** The bearer check, an onRequest hook of every route whose table entry needs the key. */
export function bearerCheck(auth: AuthService): onRequestHookHandler {
  return async (req) => {
    req.auth = await auth.authenticate(req.headers.authorization, clientInfo(req));
  };
}

/** The authenticated caller of a /v1 request. */
export function caller(req: FastifyRequest): AuthContext {
  if (!req.auth) throw new ServiceError('unauthorized', 'invalid or expired API key');
  return req.auth;
}
