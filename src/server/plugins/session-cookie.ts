import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../../contract/index.js';
import { ServiceError } from '../services/service-error.js';

// The dashboard's session cookie and the server's own origin, as the browser sees them.

/** How the server is reached: over TLS (its own, or a TLS-terminating proxy's). */
export interface SiteOptions {
  https: boolean;
}

/** The session cookie's token, if the request carries one. */
export function readSessionCookie(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

function cookie(value: string, maxAgeSeconds: number, site: SiteOptions): string {
  return `${SESSION_COOKIE}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; SameSite=Strict${site.https ? '; Secure' : ''}`;
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, Secure when served over TLS. */
export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number, site: SiteOptions): void {
  reply.header('set-cookie', cookie(token, maxAgeSeconds, site));
}

/** Tells the browser to forget the session cookie. */
export function clearSessionCookie(reply: FastifyReply, site: SiteOptions): void {
  reply.header('set-cookie', cookie('', 0, site));
}

/**
 * The server's public origin: the request's protocol and Host, X-Forwarded-* honoured only from
 * trusted proxies (Fastify's trustProxy); https whenever the server or its proxy terminates TLS.
 */
export function serverOrigin(req: FastifyRequest, site: SiteOptions): string {
  return `${site.https ? 'https' : req.protocol}://${req.host}`;
}

/** 403 `csrf` when the request names an Origin other than the server's own. */
export function requireSameOrigin(req: FastifyRequest, site: SiteOptions): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== serverOrigin(req, site)) {
    throw new ServiceError('csrf', `cross-site request refused: Origin ${origin.slice(0, 100)} is not this server's (${serverOrigin(req, site)})`);
  }
}
