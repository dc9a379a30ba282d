import { caller, clientInfo } from '../plugins/auth.js';
import { clearSessionCookie, requireSameOrigin, serverOrigin, setSessionCookie, type SiteOptions } from '../plugins/session-cookie.js';
import type { SessionsService } from '../services/sessions-service.js';
import type { RouteHandlers } from './register-routes.js';

type SessionRoutes = 'createSignInLink' | 'createSession' | 'currentSession' | 'listSessions' | 'revokeSession';

/**
 * Dashboard sign-in: links (asked for with an API key), sessions (cookie + CSRF token), sign-out.
 * `createSession` is open (the code is the credential): `sessions.createSession` should count failed codes.
 */
export function sessionsRoutes(sessions: Pick<SessionsService, 'createSignInLink' | 'createSession' | 'current' | 'list' | 'revoke'>, site: SiteOptions): RouteHandlers<SessionRoutes> {
  return {
    createSignInLink: (req) => sessions.createSignInLink(caller(req), serverOrigin(req, site), req.body?.path),
    createSession: async (req, reply) => {
      requireSameOrigin(req, site);
      const started = await sessions.createSession(clientInfo(req), req.body.code);
      setSessionCookie(reply, started.token, started.maxAgeSeconds, site);
      return reply.code(201).send({ session: started.session, csrfToken: started.csrfToken });
    },
    currentSession: async (req, reply) => reply.header('cache-control', 'no-store').send(await sessions.current(caller(req))),
    listSessions: (req) => sessions.list(caller(req)),
    revokeSession: async (req, reply) => {
      const { current } = await sessions.revoke(caller(req), req.params.id);
      if (current) clearSessionCookie(reply, site);
      return reply.code(204).send();
    },
  };
}
