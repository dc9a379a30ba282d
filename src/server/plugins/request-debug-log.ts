import type { FastifyInstance } from 'fastify';

// `krypt server start --log-level debug`: one line per request, built from names and counts only.
// Never headers (Authorization), bodies, values, invite codes or tokens; the route is the pattern
// (`/v1/projects/:slug/...`), not the raw URL, so nothing a client typed into a query string shows.

interface KnownParams {
  slug?: unknown;
  env?: unknown;
  key?: unknown;
}

interface WriteBody {
  set?: unknown;
  delete?: unknown;
}

/** Adds the per-request debug line when the server logs at debug or trace (no route sets a level of its own); above debug, no hook at all. */
export function registerRequestDebugLog(app: FastifyInstance): void {
  if (app.log.level !== 'debug' && app.log.level !== 'trace') return;
  app.addHook('onResponse', async (req, reply) => {
    const params = (req.params ?? {}) as KnownParams;
    const body = (req.body ?? {}) as WriteBody;
    const line: Record<string, string | number> = {
      method: req.method,
      route: req.routeOptions.url ?? '(no route)',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (typeof params.slug === 'string') line.project = params.slug;
    if (typeof params.env === 'string') line.environment = params.env;
    if (typeof params.key === 'string') line.keyName = params.key;
    // Counts of key names written; the names and values themselves stay out of the log.
    if (typeof body.set === 'object' && body.set !== null) line.keysSetCount = Object.keys(body.set).length;
    if (Array.isArray(body.delete)) line.keysDeletedCount = body.delete.length;
    req.log.debug(line, 'request handled');
  });
}
