import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

// HTTP Strict Transport Security on every response. Set on the raw response before Fastify sees the
// request (see withHsts), so replies that skip Fastify's hooks carry it too: the hijacked change
// stream, HEAD, router errors, the 503 while closing. What the HTTP parser refuses before any
// request exists is answered by clientErrorHandler, which writes the same header. Browsers ignore
// it over plain http.

export const HSTS_HEADER = 'max-age=63072000; includeSubDomains';

/** Wraps the server's request listener so that every response starts with `Strict-Transport-Security`. */
export function withHsts(listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('strict-transport-security', HSTS_HEADER);
    listener(req, res);
  };
}
