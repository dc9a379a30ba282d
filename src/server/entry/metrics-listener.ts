import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ServerStartupError } from './errors.js';

// `krypt server start --metrics-port N`: Prometheus metrics on a listener of their own (plain
// node:http, not the API's Fastify instance), so /metrics is never reachable on the API's port and
// can be bound to an address only the scraper reaches. It answers GET /metrics and 404 otherwise.

export interface MetricsListener {
  /** http://HOST:PORT/metrics */
  url: string;
  port: number;
  /** Stops listening and drops open connections (a scrape is short; none is worth waiting for). */
  close(): Promise<void>;
}

/** Listens on `host:port` (0 picks a free port) and serves `registry` at /metrics. */
export async function listenMetrics(registry: Registry, host: string, port: number): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics could not be collected\n'),
    );
  });
  // A scraper sends a small request at once: nobody gets to hold a socket open by sending slowly.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ServerStartupError(
          'metrics_listen',
          `cannot listen for metrics on ${host}:${port} (${err.code ?? err.message})`,
          'pick a free --metrics-port (0 picks one) or another --metrics-host',
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${bound}/metrics`,
    port: bound,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
