import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { pino, type DestinationStream, type Level } from 'pino';
import { MAX_PATH_PARAM_LENGTH } from '../contract/index.js';
import type { DerivedKeys } from './crypto/value-crypto.js';
import { bearerCheck } from './plugins/auth.js';
import { registerDashboard } from './plugins/dashboard.js';
import { frameworkErrors, registerErrorHandling } from './plugins/error-handler.js';
import type { ErrorReporter } from './plugins/error-reporting.js';
import { applyHttpTimeouts, clientErrorHandler, type HttpTimeouts } from './plugins/http-limits.js';
import { registerJsonBody } from './plugins/json-body.js';
import { countFrameworkErrors, registerRequestMetrics } from './plugins/metrics.js';
import { registerRequestDebugLog } from './plugins/request-debug-log.js';
import { responseSerializerCompiler } from './plugins/response-serializer.js';
import { httpServerFactory } from './plugins/http-server.js';
import { NO_METRICS, type AuthFailureKind, type ServerMetrics } from './metrics.js';
import { accountRoutes } from './routes/account-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { changeRequestsRoutes } from './routes/change-requests-routes.js';
import { eventsRoutes, type EventsRouteOptions } from './routes/events-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { membersRoutes } from './routes/members-routes.js';
import { projectsRoutes } from './routes/projects-routes.js';
import { registerRoutes } from './routes/register-routes.js';
import { secretsRoutes } from './routes/secrets-routes.js';
import { webhooksRoutes } from './routes/webhooks-routes.js';
import { sessionsRoutes } from './routes/sessions-routes.js';
import { createApiKeysService } from './services/api-keys-service.js';
import { createAuditRecorder, createAuditService } from './services/audit-service.js';
import { createAuthService } from './services/auth-service.js';
import { createLocalChangeFeed, type ChangeFeed } from './services/change-feed.js';
import { createPostgresChangeFeed } from './services/change-feed-postgres.js';
import { createChangeFeedService } from './services/change-feed-service.js';
import { createChangeRequestsService } from './services/change-requests-service.js';
import { createHistoryService } from './services/history-service.js';
import { createInvitesService } from './services/invites-service.js';
import { createMembersService } from './services/members-service.js';
import { createProjectsService } from './services/projects-service.js';
import { createDecryptedEnvironments } from './services/decrypted-environments.js';
import { createKeptReads } from './services/kept-reads.js';
import { createPostgresFailureLimiter } from './services/rate-limit-postgres.js';
import { createFailureLimiter, limitFailures, type FailureLimitOptions } from './services/rate-limit-service.js';
import { createSecretsService } from './services/secrets-service.js';
import { createWebhooksService } from './services/webhooks-service.js';
import { createSessionsService, type SessionOptions } from './services/sessions-service.js';
import { createStreamAccess, type StreamAccessOptions } from './services/stream-access.js';
import { createOutbox } from './services/outbox-service.js';
import { createOutboxSender, type OutboxSenderOptions } from './services/outbox-sender.js';
import type { ServiceDeps } from './services/service-deps.js';
import type { DB, Dialect } from './store/schema.js';

// Server wiring: the one composition root. Builds the Fastify instance; entry/start.ts listens.

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

/** Change stream options: the route's timings and the limits on who keeps a stream open. */
export type EventsOptions = EventsRouteOptions & StreamAccessOptions;

export interface AppDeps {
  db: Kysely<DB>;
  dialect: Dialect;
  /** Keys derived from the master key (already checked against the instance's key check). */
  keys: DerivedKeys;
  /** Where JSON log lines go (default: stderr). */
  logDestination?: DestinationStream;
  logLevel?: Level;
  bodyLimit?: number;
  now?: () => Date;
  version?: string;
  /** SQLite: changes whenever rows may have changed (KryptDatabase.storeVersion); lets reads of rarely changing rows be kept. */
  storeVersion?: () => string;
  /** PostgreSQL: the audit group commit's own connection (KryptDatabase.groupCommitDb); default `db`. */
  groupCommitDb?: Kysely<DB>;
  /** PostgreSQL: a new client outside the pool, for the change feed's LISTEN (KryptDatabase.newClient). */
  newClient?: () => pg.Client;
  /** Change stream timings (heartbeat, longest stream, access re-check) and streams per key. */
  events?: EventsOptions;
  /** Failed credentials (API keys, invite codes) allowed per client address before 429. */
  failureLimit?: FailureLimitOptions;
  /** How long a client may take to send a request; idle and keep-alive limits. */
  timeouts?: HttpTimeouts;
  /** Where unexpected errors (5xx) are reported, scrubbed (--sentry-dsn); default nowhere. */
  errorReporter?: ErrorReporter;
  /** Serve HTTPS, TLS 1.3 only, with this PEM certificate chain and key. */
  tls?: { cert: Buffer; key: Buffer };
  /** Proxies whose X-Forwarded-For/-Proto are believed (addresses or CIDRs); others get their socket address. */
  trustedProxies?: readonly string[];
  /** The built dashboard (index.html, assets/) served at `/`; default the package's dist/dashboard. */
  dashboardDir?: string;
  /** A TLS-terminating proxy fronts this server: its public origin is https (session cookies are Secure). */
  behindTlsProxy?: boolean;
  /** Sign-in link and browser session lifetimes (defaults: 120 s, 30 min idle, 12 h absolute). */
  sessions?: SessionOptions;
  /** Where requests, streams, auth failures, audit batches and cache hits are counted (default: nowhere). */
  metrics?: ServerMetrics;
  /** Email and webhook deliveries (the transactional outbox); without it, webhooks only, to public addresses. */
  notifications?: NotificationOptions;
}

/**
 * The outbox sender's settings (mailer: --smtp-url; without one, notices become no emails;
 * allowPrivateWebhooks: --webhooks-allow-private; timings), and the dashboard's public origin for
 * links in emails (--public-url).
 */
export type NotificationOptions = Pick<OutboxSenderOptions, 'mailer' | 'allowPrivateWebhooks' | 'pollMs' | 'leaseMs' | 'webhookTimeoutMs' | 'retry'> & {
  publicUrl?: string;
};

// Paths pino must never print, should they ever reach a log object.
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'value',
  'secrets',
  'set',
  'body',
  '*.token',
  '*.value',
  '*.secrets',
  '*.set',
  '*.body',
];

/** Builds the API server (routes, hooks, error handling, OpenAPI) without listening. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? NO_METRICS;
  const logger: FastifyBaseLogger = pino(
    { level: deps.logLevel ?? 'info', redact: { paths: REDACT, censor: '[redacted]' } },
    deps.logDestination ?? pino.destination(2),
  );
  // The HTTP(S) server comes from httpServerFactory (TLS 1.3 only, HSTS on every response); with
  // TLS, `https: true` only makes Fastify's "listening at" log line say https. The cast: Fastify
  // types an https server apart.
  const app = Fastify({
    loggerInstance: logger,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Every path parameter the contract allows must reach its route (Fastify's default is 100).
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    return503OnClosing: true,
    clientErrorHandler,
    frameworkErrors: countFrameworkErrors(frameworkErrors, metrics),
    trustProxy: deps.trustedProxies && deps.trustedProxies.length > 0 ? [...deps.trustedProxies] : false,
    serverFactory: httpServerFactory(deps.tls),
    ...(deps.tls ? { https: true } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  applyHttpTimeouts(app.server, deps.timeouts);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  registerErrorHandling(app, deps.errorReporter);
  registerRequestDebugLog(app);
  registerRequestMetrics(app, metrics);

  registerJsonBody(app);

  app.decorateRequest('auth', null);
  // A callback hook, not an async one: it runs on every request, and needs no promise.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });

  const now = deps.now ?? (() => new Date());
  const audit = createAuditRecorder({ db: deps.db, ...(deps.groupCommitDb ? { groupCommitDb: deps.groupCommitDb } : {}), dialect: deps.dialect, now, auditKey: deps.keys.auditKey, onBatch: (size, wait) => metrics.auditBatch(size, wait) });
  const changes = await openChangeFeed(deps, app.log);
  app.addHook('onClose', () => changes.close());
  const decrypted = createDecryptedEnvironments(changes, { onLookup: (hit) => (hit ? metrics.cacheHit() : metrics.cacheMiss()) });
  app.addHook('onClose', async () => decrypted.clear());
  const kept = createKeptReads(deps.storeVersion);
  const { publicUrl, ...sending } = deps.notifications ?? {};
  const sender = createOutboxSender({ db: deps.db, keys: deps.keys, now, log: app.log, ...sending, onAttempt: (channel, result) => metrics.outboxAttempt(channel, result) });
  app.addHook('onClose', () => sender.close());
  const outbox = createOutbox({ keys: deps.keys, now, email: sending.mailer !== undefined, ...(publicUrl ? { publicUrl } : {}), onEnqueued: () => sender.wake() });
  const serviceDeps: ServiceDeps = { db: deps.db, dialect: deps.dialect, keys: deps.keys, now, audit, changes, decrypted, kept, log: app.log, metrics, outbox };
  // One failure budget per client address, shared by bad API keys, session cookies, sign-in and
  // invite codes; on PostgreSQL also shared by every replica.
  const failures =
    deps.dialect === 'postgres'
      ? createPostgresFailureLimiter({ ...deps.failureLimit, db: deps.db, onError: (err) => app.log.warn({ err }, 'failed-credential counters unavailable: counted on this replica only') })
      : createFailureLimiter(deps.failureLimit);
  const authService = createAuthService(serviceDeps);
  const failed = (kind: AuthFailureKind) => (rateLimited: boolean) => metrics.authFailure(kind, rateLimited);
  const auth = { authenticate: limitFailures(failures, (_header, client) => client.ip, authService.authenticate, failed('api_key')) };
  const site = { https: deps.tls !== undefined || deps.behindTlsProxy === true };
  const streamAccess = createStreamAccess(serviceDeps, deps.events, (err) => app.log.warn({ err }, 'change stream access check failed'));
  app.addHook('onClose', async () => streamAccess.close());
  const sessionsService = createSessionsService(serviceDeps, deps.sessions, streamAccess);
  const sessions = {
    ...sessionsService,
    authenticate: limitFailures(failures, (_token, client) => client.ip, sessionsService.authenticate, failed('session')),
    createSession: limitFailures(failures, (client) => client.ip, sessionsService.createSession, failed('sign_in')),
  };
  const apiKeys = createApiKeysService(serviceDeps, streamAccess);
  const projects = createProjectsService(serviceDeps);
  const secrets = createSecretsService(serviceDeps);
  const history = createHistoryService(serviceDeps);
  const members = createMembersService(serviceDeps);
  const invites = createInvitesService(serviceDeps, sessionsService);
  const changeRequests = createChangeRequestsService(serviceDeps);
  const webhooks = createWebhooksService(serviceDeps, { allowPrivate: sending.allowPrivateWebhooks === true });
  const auditLog = createAuditService(serviceDeps);
  const changeFeed = createChangeFeedService(serviceDeps, changes, streamAccess);

  // Every route comes from the contract's route table; the bearer check is the table's to ask for.
  // Invite codes are credentials too: failed redemptions count against the same budget.
  const redeem = limitFailures(failures, (client) => client.ip, invites.redeem, failed('invite'));
  registerRoutes(
    app,
    {
      ...healthRoutes(deps.version ?? '0.1.0'),
      ...accountRoutes(apiKeys),
      ...sessionsRoutes(sessions, site),
      ...projectsRoutes(projects),
      ...secretsRoutes(secrets, history),
      ...membersRoutes(members, { ...invites, redeem }, site),
      ...changeRequestsRoutes(changeRequests),
      ...webhooksRoutes(webhooks),
      ...auditRoutes(auditLog),
      ...eventsRoutes(app, changeFeed, deps.events, metrics),
    },
    { authenticate: bearerCheck(auth, sessions, site) },
  );
  registerDashboard(app, deps.dashboardDir);
  return app;
}

/** SQLite: in process (one process per data directory). PostgreSQL: LISTEN/NOTIFY, across replicas. */
async function openChangeFeed(deps: AppDeps, log: FastifyBaseLogger): Promise<ChangeFeed> {
  if (deps.dialect === 'sqlite') return createLocalChangeFeed(deps.db, (err) => log.error({ err }, 'change feed read failed'));
  if (!deps.newClient) throw new Error('the PostgreSQL change feed needs a client factory (AppDeps.newClient)');
  return createPostgresChangeFeed({
    db: deps.db,
    newClient: deps.newClient,
    onError: (err, context) => log.warn({ err }, `change feed: ${context}`),
  });
}
