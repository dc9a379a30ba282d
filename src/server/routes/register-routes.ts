import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, onRequestHookHandler, RouteOptions } from 'fastify';
import type { z } from 'zod';
import { ROUTE_SCHEMAS, type RouteSchemas, type RouteSchemasOf } from '../../contract/route-schemas.js';
import { BODYLESS_STATUSES, ROUTE_IDS, ROUTES, type RouteId } from '../../contract/routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's entry in the contract's route table. */
    routeId?: RouteId;
  }
}

// Every route of the API is built here from its entry in the contract's route table: method, URL,
// schemas and the bearer check come from the table; the route files supply only the handlers.

type Parsed<K extends RouteId, F extends 'params' | 'query' | 'body'> =
  RouteSchemasOf<K> extends { [P in F]: infer S extends z.ZodType } ? z.output<S> : undefined;
type Responses<K extends RouteId> = RouteSchemasOf<K>['responses'];
/** What a handler may return for `K`: a body one of its response schemas accepts. */
type Sendable<K extends RouteId> = {
  [S in keyof Responses<K>]: Responses<K>[S] extends z.ZodType ? z.input<Responses<K>[S]> : unknown;
}[keyof Responses<K>];

/** A request of route `K`, typed by its schemas. */
export type RouteRequest<K extends RouteId> = FastifyRequest<{ Params: Parsed<K, 'params'>; Querystring: Parsed<K, 'query'>; Body: Parsed<K, 'body'> }>;

/**
 * Handles route `K`: returns the body (sent with the entry's first status; none for 204), or the
 * reply after sending a status of its choice itself.
 */
export type RouteHandler<K extends RouteId> = (req: RouteRequest<K>, reply: FastifyReply) => Sendable<K> | FastifyReply | Promise<Sendable<K> | FastifyReply>;
export type RouteHandlers<K extends RouteId = RouteId> = { [I in K]: RouteHandler<I> };

export interface RouteHooks {
  /** The bearer check of every route whose entry needs it (sets req.auth). */
  authenticate: onRequestHookHandler;
}

/** Registers every route of the table on `app`, refusing any /v1 route that is not in it. */
export function registerRoutes(app: FastifyInstance, handlers: RouteHandlers, hooks: RouteHooks): void {
  guardRouteTable(app);
  for (const id of ROUTE_IDS) registerRoute(app, id, handlers[id] as RouteHandler<RouteId>, hooks);
}

function registerRoute(app: FastifyInstance, id: RouteId, handler: RouteHandler<RouteId>, hooks: RouteHooks): void {
  const entry = ROUTES[id];
  const status = entry.statuses[0];
  app.route({
    method: entry.method,
    url: entry.path,
    config: { routeId: id },
    schema: fastifySchema(ROUTE_SCHEMAS[id]),
    ...(entry.auth === 'bearer' ? { onRequest: hooks.authenticate } : {}),
    handler: async (req, reply) => {
      const result = await handler(req as RouteRequest<RouteId>, reply);
      // A Fastify reply is a thenable: an async handler returning it resolves with undefined once
      // the response has ended, so `sent` (not identity) tells that the handler answered itself.
      if (result === reply || reply.sent) return reply;
      return reply.code(status).send(BODYLESS_STATUSES.includes(status) ? undefined : result);
    },
  });
}

function fastifySchema(schemas: RouteSchemas): FastifySchema {
  const response = Object.fromEntries(Object.entries(schemas.responses).filter(([, schema]) => schema !== null));
  return {
    ...(schemas.params ? { params: schemas.params } : {}),
    ...(schemas.query ? { querystring: schemas.query } : {}),
    ...(schemas.body ? { body: schemas.body } : {}),
    ...(Object.keys(response).length > 0 ? { response } : {}),
  };
}

/** The table's domain: /v1 and /healthz. Other paths (a dashboard's files) may live beside it. */
const inTableDomain = (url: string): boolean => url === '/healthz' || url === '/v1' || url.startsWith('/v1/');

/**
 * Every route added to `app` from now on must name its table entry and agree with it (method, URL;
 * the HEAD route Fastify adds for a GET too), and at start-up every entry must have its route:
 * a route and the table cannot disagree without the server refusing to start.
 */
export function guardRouteTable(app: FastifyInstance): void {
  const registered = new Set<RouteId>();
  app.addHook('onRoute', (route: RouteOptions) => {
    const id: unknown = route.config?.routeId;
    const methods = [route.method].flat();
    const name = `${methods.join(',')} ${route.url}`;
    if (id === undefined) {
      if (inTableDomain(route.url)) throw new Error(`route ${name} is not in the contract's route table (src/contract/routes.ts)`);
      return;
    }
    const entry = typeof id === 'string' && Object.hasOwn(ROUTES, id) ? ROUTES[id as RouteId] : undefined;
    const sameMethod = methods.every((m) => m === entry?.method || (m === 'HEAD' && entry?.method === 'GET'));
    if (!entry || route.url !== entry.path || !sameMethod) {
      throw new Error(`route ${name} disagrees with its table entry ${String(id)}${entry ? ` (${entry.method} ${entry.path})` : ' (no such entry)'}`);
    }
    registered.add(entry.id);
  });
  app.addHook('onReady', async () => {
    const missing = ROUTE_IDS.filter((id) => !registered.has(id));
    if (missing.length > 0) throw new Error(`routes of the contract's table not registered: ${missing.join(', ')}`);
  });
}
