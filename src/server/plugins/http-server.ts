import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { withHsts } from './hsts.js';

// The server Fastify listens on, created here (Fastify's serverFactory) rather than by Fastify, so
// that its request listener is ours to wrap: every response of it carries HSTS.

/** PEM certificate chain and key: serve HTTPS. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * Fastify's `serverFactory`: a plain HTTP server, or with `tls` an HTTPS one that speaks TLS 1.3
 * only (a 1.2 client fails the handshake). Either way every response carries HSTS.
 */
export function httpServerFactory(tls?: TlsFiles): (handler: RequestListener) => Server {
  return (handler) => {
    const listener = withHsts(handler);
    if (!tls) return createHttpServer(listener);
    // An https.Server is an http.Server as far as Fastify and applyHttpTimeouts are concerned.
    return createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, listener) as unknown as Server;
  };
}
