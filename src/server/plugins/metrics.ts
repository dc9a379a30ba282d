import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UNMATCHED_ROUTE, type ServerMetrics } from '../metrics.js';

// Request metrics of the API: one count per answered request under its route PATTERN (never the raw
// URL: that holds project slugs and key names), and its response time.

/**
 * Counts every answered request (routes and the not-found handler) with its response time. An event
 * stream's 200 is counted by its route when the stream starts (its lifetime is no latency, and one
 * the client ends never reaches onResponse); its refusals (401, 404...) are counted here.
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: ServerMetrics): void {
  // A callback hook: no promise per request, metrics on or off.
  app.addHook('onResponse', (req, reply, done) => {
    if (req.routeOptions.config.routeId !== 'watchEnvironment' || reply.statusCode !== 200) {
      metrics.httpRequest(req.routeOptions.url ?? UNMATCHED_ROUTE, req.method, reply.statusCode, reply.elapsedTime / 1000);
    }
    done();
  });
}

type FrameworkErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => void;

/**
 * Wraps Fastify's `frameworkErrors` (a malformed URL, an overlong path parameter: refused by the
 * router before any hook, so onResponse never hears them): they count as unmatched, without a time.
 */
export function countFrameworkErrors(handler: FrameworkErrorHandler, metrics: ServerMetrics): FrameworkErrorHandler {
  return (err, req, reply) => {
    handler(err, req, reply);
    metrics.httpRequest(UNMATCHED_ROUTE, req.method, reply.statusCode, null);
  };
}
