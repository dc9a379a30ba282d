import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { CLI_COMMAND_HEADER, CSRF_HEADER } from '../../contract/index.js';
import type { AuthService, RequestScope } from '../services/auth-service.js';
import type { AuthContext, ClientInfo } from '../services/service-deps.js';
import { ServiceError } from '../services/service-error.js';
import type { SessionsService } from '../services/sessions-service.js';
import { readSessionCookie, requireSameOrigin, type SiteOptions } from './session-cookie.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

// Client-supplied strings end up in the audit log: bound their length.
const MAX_USER_AGENT = 256;
const MAX_COMMAND = 100;
const MAX_CSRF = 100;
const SAFE_METHODS = new Set(['GET', 'HEAD']);

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

/** The session half of the bearer check (sessions-service, its failures limited like bad keys). */
export type SessionCheck = Pick<SessionsService, 'authenticate' | 'csrfMatches' | 'touch'>;

/**
 * The bearer check, an onRequest hook of every route whose table entry needs a credential: an
 * `Authorization: Bearer` API key, or else the dashboard's session cookie. A cookie-authenticated
 * request other than GET/HEAD must come from this server's origin (when it names one) and carry the
 * session's CSRF token; otherwise it is refused here, before its body is even parsed.
 */
export function bearerCheck(auth: AuthService, sessions: SessionCheck, site: SiteOptions): onRequestHookHandler {
  return async (req) => {
    const client = clientInfo(req);
    const cookie = req.headers.authorization === undefined ? readSessionCookie(req) : undefined;
    if (cookie === undefined) {
      req.auth = await auth.authenticate(req.headers.authorization, client, requestScope(req));
      return;
    }
    const changes = !SAFE_METHODS.has(req.method);
    if (changes) requireSameOrigin(req, site);
    const found = await sessions.authenticate(cookie, client);
    if (changes && !sessions.csrfMatches(found.row.id, header(req, CSRF_HEADER, MAX_CSRF))) {
      throw new ServiceError('csrf', `missing or wrong ${CSRF_HEADER} header: a signed-in dashboard request that changes something must send the session's CSRF token`);
    }
    await sessions.touch(found.row);
    req.auth = found.auth;
  };
}

/** The project and environment the route's path names (`:slug`, `:env`), looked up with the key in one query. */
function requestScope(req: FastifyRequest): RequestScope | undefined {
  const { slug, env } = req.params as { slug?: unknown; env?: unknown };
  return typeof slug === 'string' && typeof env === 'string' ? { slug, env } : undefined;
}

/** The authenticated caller of a /v1 request. */
export function caller(req: FastifyRequest): AuthContext {
  if (!req.auth) throw new ServiceError('unauthorized', 'invalid or expired API key');
  return req.auth;
}
