import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

// The server's Prometheus metrics: one Registry per server instance (never prom-client's global
// one, so two servers in one process never share or double-register a metric). Every label is
// bounded and chosen by the server, never by a client: the route PATTERN (`/v1/projects/:slug/...`,
// never the raw URL, which holds slugs and key names), the method, the status, a credential kind.
// No value, key name, project slug, email or token can reach a label or a sample.
//
// Callers never branch on whether metrics are on: with them off they hold NO_METRICS.

/** Route label of a request no route matched (a 404 of the not-found handler, a malformed URL). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Which credential failed: an API key, a dashboard session cookie, a sign-in link code, an invite code. */
export const AUTH_FAILURE_KINDS = ['api_key', 'session', 'sign_in', 'invite'] as const;
export type AuthFailureKind = (typeof AUTH_FAILURE_KINDS)[number];

/** What services feed (they get it in ServiceDeps): the audit log's group commits and the decrypt cache. */
export interface ServiceMetrics {
  /** One group commit of the audit log: how many entries it appended and how long the oldest waited. */
  auditBatch(size: number, waitSeconds: number): void;
  cacheHit(): void;
  cacheMiss(): void;
}

/** Everything the server records; the methods take no free text, so nothing secret can be passed. */
export interface ServerMetrics extends ServiceMetrics {
  /** One answered request; `seconds` null leaves it out of the latency histogram (an event stream's lifetime is no latency). */
  httpRequest(route: string, method: string, status: number, seconds: number | null): void;
  streamOpened(): void;
  streamClosed(): void;
  /** One wrong credential; `rateLimited` when it was refused with 429 because its address is over the limit. */
  authFailure(kind: AuthFailureKind, rateLimited: boolean): void;
  /** One delivery attempt of the outbox and how it ended. */
  outboxAttempt(channel: 'email' | 'webhook', result: 'sent' | 'retry' | 'failed'): void;
}

const nothing = (): void => undefined;

/** Metrics off: every method does nothing. */
export const NO_METRICS: ServerMetrics = {
  httpRequest: nothing,
  streamOpened: nothing,
  streamClosed: nothing,
  authFailure: nothing,
  outboxAttempt: nothing,
  auditBatch: nothing,
  cacheHit: nothing,
  cacheMiss: nothing,
};

/** API latency from 1 ms to 5 s (slower lands in +Inf). */
export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const AUDIT_BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const AUDIT_WAIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface MetricsRegistry {
  metrics: ServerMetrics;
  /** Renders the text exposition (`registry.metrics()`) with `registry.contentType`. */
  registry: Registry;
}

/** A fresh registry with the server's metrics and Node's default process metrics, all prefixed `krypt_`. */
export function createMetrics(): MetricsRegistry {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: 'krypt_http_requests_total',
    help: 'API requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'krypt_http_request_duration_seconds',
    help: 'API response time by route pattern and method (event streams excluded)',
    labelNames: ['route', 'method'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers,
  });
  const streams = new Gauge({ name: 'krypt_event_streams_open', help: 'Change streams (server-sent events) open now', registers });
  const authFailures = new Counter({
    name: 'krypt_auth_failures_total',
    help: 'Wrong credentials presented (including those refused as rate limited), by kind',
    labelNames: ['kind'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: 'krypt_auth_rate_limited_total',
    help: 'Wrong credentials refused with 429 because their client address used up its failure budget, by kind',
    labelNames: ['kind'] as const,
    registers,
  });
  const auditBatchSize = new Histogram({ name: 'krypt_audit_batch_size', help: 'Audit entries appended per group commit', buckets: AUDIT_BATCH_BUCKETS, registers });
  const auditWait = new Histogram({
    name: 'krypt_audit_wait_seconds',
    help: 'How long a group commit of the audit log waited before it was written (one observation per commit)',
    buckets: AUDIT_WAIT_BUCKETS,
    registers,
  });
  const cacheHits = new Counter({ name: 'krypt_decrypt_cache_hits_total', help: 'Decrypted values served from the decrypt cache', registers });
  const cacheMisses = new Counter({ name: 'krypt_decrypt_cache_misses_total', help: 'Values the decrypt cache did not hold (decrypted anew)', registers });
  const outbox = new Counter({
    name: 'krypt_outbox_attempts_total',
    help: 'Email and webhook delivery attempts, by channel and result (sent, retry: failed and will be retried, failed: given up)',
    labelNames: ['channel', 'result'] as const,
    registers,
  });
  // Every kind shows from the start (at 0), so a rate of failures needs no first failure to exist.
  for (const kind of AUTH_FAILURE_KINDS) {
    authFailures.inc({ kind }, 0);
    rateLimited.inc({ kind }, 0);
  }
  collectDefaultMetrics({ register: registry, prefix: 'krypt_' });

  return {
    registry,
    metrics: {
      httpRequest(route, method, status, seconds) {
        requests.inc({ route, method, status: String(status) });
        if (seconds !== null) duration.observe({ route, method }, seconds);
      },
      streamOpened: () => streams.inc(),
      streamClosed: () => streams.dec(),
      authFailure(kind, limited) {
        authFailures.inc({ kind });
        if (limited) rateLimited.inc({ kind });
      },
      outboxAttempt: (channel, result) => outbox.inc({ channel, result }),
      auditBatch(size, waitSeconds) {
        auditBatchSize.observe(size);
        auditWait.observe(waitSeconds);
      },
      cacheHit: () => cacheHits.inc(),
      cacheMiss: () => cacheMisses.inc(),
    },
  };
}
