import type { FastifyInstance } from 'fastify';
import { EVENTS_HEARTBEAT_MS, REVISION_EVENT, type RevisionEvent } from '../../contract/index.js';
import { NO_METRICS, UNMATCHED_ROUTE, type ServerMetrics } from '../metrics.js';
import { caller } from '../plugins/auth.js';
import type { ChangeFeedService } from '../services/change-feed-service.js';
import type { RouteHandlers } from './register-routes.js';

export interface EventsRouteOptions {
  /** Interval of the `: ping` comment (default EVENTS_HEARTBEAT_MS). */
  heartbeatMs?: number;
  /**
   * The server ends a stream after this long (default 5 min); the client reconnects at once and is
   * authenticated and authorized again. (A revoked or expired key, or lost read access, ends it
   * sooner: see StreamAccessOptions.)
   */
  maxStreamMs?: number;
}

type StreamMetrics = Pick<ServerMetrics, 'httpRequest' | 'streamOpened' | 'streamClosed'>;

const revisionEvent = (revision: number): string => {
  const data: RevisionEvent = { revision };
  return `event: ${REVISION_EVENT}\ndata: ${JSON.stringify(data)}\n\n`;
};

/** The change stream of one environment, as Server-Sent Events; `app` ends open streams when it closes; `metrics` counts the open ones. */
export function eventsRoutes(app: FastifyInstance, feed: ChangeFeedService, opts: EventsRouteOptions = {}, metrics: StreamMetrics = NO_METRICS): RouteHandlers<'watchEnvironment'> {
  const open = new Set<() => void>();
  // Before the HTTP server closes: streams never finish by themselves, and close() waits for them.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  return {
    watchEnvironment: async (req, reply) => {
      const res = reply.raw;
      const send = (text: string): void => {
        if (!res.writableEnded && !res.destroyed) res.write(text);
      };
      const watch = await feed.watch(caller(req), req.params.slug, req.params.env, (revision) => send(revisionEvent(revision)));
      reply.hijack();
      if (res.destroyed) {
        watch.close();
        return reply;
      }
      // Headers set by hooks (x-request-id) are carried over: a hijacked reply does not send them.
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // Tells nginx-style proxies not to buffer the stream.
        'x-accel-buffering': 'no',
      });
      // Counted as answered now: a stream lasts minutes and may end by the client going away (no onResponse then).
      metrics.httpRequest(req.routeOptions.url ?? UNMATCHED_ROUTE, req.method, 200, null);
      if (req.method === 'HEAD') {
        // HEAD (answered by this GET route) has no body: without end() nothing would be sent until the stream expired.
        watch.close();
        res.end();
        return reply;
      }
      send(revisionEvent(watch.revision));
      const heartbeat = setInterval(() => send(': ping\n\n'), opts.heartbeatMs ?? EVENTS_HEARTBEAT_MS);
      const cleanup = (): void => {
        clearInterval(heartbeat);
        clearTimeout(expiry);
        watch.close();
        // cleanup runs twice (end(), then the response's close): only the first one counts.
        if (open.delete(end)) metrics.streamClosed();
      };
      const end = (): void => {
        cleanup();
        res.end();
      };
      const expiry = setTimeout(end, opts.maxStreamMs ?? 5 * 60_000);
      open.add(end);
      metrics.streamOpened();
      res.on('close', cleanup);
      // The key was revoked or expired, or its user may no longer read this environment.
      void watch.revoked.then(end);
      return reply;
    },
  };
}
