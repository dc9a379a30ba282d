import { DEFAULT_SERVER_PORT } from '../../contract/constants.js';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { DestinationStream, Level } from 'pino';
import { buildApp, type EventsOptions, type NotificationOptions } from '../app.js';
import { createSmtpMailer } from '../services/mailer.js';
import { createMetrics } from '../metrics.js';
import { createErrorReporter, type ErrorReporterOptions } from '../plugins/error-reporting.js';
import type { HttpTimeouts } from '../plugins/http-limits.js';
import type { FailureLimitOptions } from '../services/rate-limit-service.js';
import type { SessionOptions } from '../services/sessions-service.js';
import { deriveKeys, type DerivedKeys } from '../crypto/value-crypto.js';
import { upgradeAuditChain } from '../services/audit-chain.js';
import { createAuditRecorder } from '../services/audit-service.js';
import type { DatabaseOptions, KryptDatabase } from '../store/database.js';
import type { DB } from '../store/schema.js';
import { KEY_MISMATCH_MESSAGE, NOT_INITIALISED_MESSAGE, requireInstanceKey, useDatabase } from './instance.js';
import { assertHostAllowed, assertMetricsHostAllowed, assertSentryDsn, assertTlsPair, type SmtpInput } from './inputs.js';
import { listenMetrics, type MetricsListener } from './metrics-listener.js';
import { ServerStartupError } from './errors.js';

// `krypt server start`: open the store, check the master key, key a legacy audit chain, listen,
// and close gracefully on SIGTERM/SIGINT.

/** The default port (the contract's, so the CLI's flag default needs no server code). */
export const DEFAULT_PORT = DEFAULT_SERVER_PORT;

/** How long a stopping server waits for error reports in flight. */
const REPORT_FLUSH_MS = 2000;

export interface StartServerOptions {
  /** Where the data lives, or an already opened database (then the caller closes it). */
  database: DatabaseOptions | KryptDatabase;
  /** The 32-byte master key (from parseMasterKey / readMasterKeyFile / a prompt). */
  masterKey: Buffer;
  host?: string;
  port?: number;
  /** Allows a non-loopback host: TLS is terminated by a proxy in front of this server. */
  behindTlsProxy?: boolean;
  /** Serve HTTPS (TLS 1.3 only) with this PEM certificate chain and key (see readTlsFiles). */
  tls?: { cert: Buffer; key: Buffer };
  /** Addresses/CIDRs whose X-Forwarded-For/-Proto are trusted (see parseTrustedProxies); default none. */
  trustedProxies?: readonly string[];
  logDestination?: DestinationStream;
  logLevel?: Level;
  bodyLimit?: number;
  /** Change stream timings (heartbeat, longest stream, access re-check) and streams per key; the defaults suit production. */
  events?: EventsOptions;
  /** Failed API keys / invite codes per client address before 429 (default 20 a minute). */
  failureLimit?: FailureLimitOptions;
  /** Request, header, keep-alive and idle timeouts (defaults 30 s, 10 s, 72 s, 120 s). */
  timeouts?: HttpTimeouts;
  /** The built dashboard served at `/` (default: the package's dist/dashboard). */
  dashboardDir?: string;
  /** Sign-in link and browser session lifetimes (defaults: 120 s, 30 min idle, 12 h absolute). */
  sessions?: SessionOptions;
  /** The clock (default: the system's); tests move it to expire sessions. */
  now?: () => Date;
  /** Hears what opening the store fixed (e.g. database files tightened to 0600); default: nothing. */
  warn?: (message: string) => void;
  /** Serve Prometheus metrics on a separate plain-HTTP listener (default: no metrics at all). */
  metrics?: MetricsOptions;
  /** The package version the health check and the OpenAPI document report (default the contract's 0.1.0). */
  version?: string;
  /** Send notification emails through this SMTP server (see parseSmtpInput); default: no email. */
  smtp?: SmtpInput;
  /** Email, webhook and outbox settings besides SMTP (public URL, private webhook destinations, timings). */
  notifications?: Omit<NotificationOptions, 'mailer'>;
  /** Report unexpected errors (5xx), scrubbed, to this Sentry project (--sentry-dsn); default: nowhere. */
  errorReporting?: ErrorReporterOptions;
}

export interface MetricsOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1; another address needs `allowRemote`. */
  host?: string;
  /** Allows a non-loopback host: the operator knows who can reach it. */
  allowRemote?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  /** http://HOST:PORT/metrics when metrics are served. */
  metricsUrl?: string;
  db: Kysely<DB>;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

/** Opens the store, verifies the master key against the key check, and listens. */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  assertHostAllowed(host, (opts.behindTlsProxy ?? false) || opts.tls !== undefined);
  if (opts.tls) assertTlsPair(opts.tls);
  if (opts.errorReporting) assertSentryDsn(opts.errorReporting.dsn);
  const metricsHost = opts.metrics?.host ?? '127.0.0.1';
  if (opts.metrics) assertMetricsHostAllowed(metricsHost, opts.metrics.allowRemote ?? false);
  const observed = opts.metrics ? createMetrics() : undefined;
  const keys = deriveKeys(opts.masterKey);
  const { kdb, owned } = await useDatabase(opts.database, opts.warn);
  const closeDb = async () => {
    if (owned) await kdb.destroy();
  };
  try {
    await requireInstanceKey(kdb.db, keys, {
      notInitialised: () => new ServerStartupError('not_initialised', NOT_INITIALISED_MESSAGE, 'run `krypt server init` first'),
      mismatch: () =>
        new ServerStartupError('master_key_mismatch', KEY_MISMATCH_MESSAGE, 'use the master key printed by `krypt server init` for this data directory or database'),
    });
    const errorReporter = opts.errorReporting ? await createErrorReporter(opts.errorReporting) : undefined;
    const app = await buildApp({
      db: kdb.db,
      dialect: kdb.dialect,
      keys,
      ...(kdb.newClient ? { newClient: kdb.newClient } : {}),
      ...(kdb.storeVersion ? { storeVersion: kdb.storeVersion } : {}),
      ...(kdb.groupCommitDb ? { groupCommitDb: kdb.groupCommitDb } : {}),
      ...(opts.logDestination ? { logDestination: opts.logDestination } : {}),
      ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
      ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
      ...(opts.events ? { events: opts.events } : {}),
      ...(opts.failureLimit ? { failureLimit: opts.failureLimit } : {}),
      ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.trustedProxies ? { trustedProxies: opts.trustedProxies } : {}),
      ...(opts.dashboardDir ? { dashboardDir: opts.dashboardDir } : {}),
      ...(opts.behindTlsProxy ? { behindTlsProxy: true } : {}),
      ...(opts.sessions ? { sessions: opts.sessions } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      ...(observed ? { metrics: observed.metrics } : {}),
      ...(opts.version ? { version: opts.version } : {}),
      ...(opts.smtp || opts.notifications
        ? { notifications: { ...opts.notifications, ...(opts.smtp ? { mailer: createSmtpMailer(opts.smtp) } : {}) } }
        : {}),
      ...(errorReporter ? { errorReporter } : {}),
    });
    let metrics: MetricsListener | undefined;
    try {
      await keyAuditChain(kdb, keys, app.log);
      if (observed && opts.metrics) metrics = await listenMetrics(observed.registry, metricsHost, opts.metrics.port);
      await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
    } catch (err) {
      // The app holds the change feed's LISTEN connection: release it, or the process would linger.
      await metrics?.close();
      await app.close();
      await errorReporter?.close(0);
      throw err;
    }
    if (metrics) app.log.info({ url: metrics.url }, 'metrics listening');
    const { port } = app.server.address() as AddressInfo;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    let closing: Promise<void> | undefined;
    return {
      url: `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`,
      port,
      ...(metrics ? { metricsUrl: metrics.url } : {}),
      db: kdb.db,
      // Reports of the last requests get a moment to leave; an unreachable Sentry does not hold up the stop.
      close: () => (closing ??= Promise.all([app.close(), metrics?.close()]).then(() => errorReporter?.close(REPORT_FLUSH_MS)).then(closeDb)),
    };
  } catch (err) {
    await closeDb();
    throw err;
  }
}

/**
 * Keys an audit chain written before keying (once, at the first start with the master key) and
 * records that in the chain; a legacy chain found broken is keyed anyway, so the server starts, and
 * the entry and a warning on the log say where it was broken.
 */
async function keyAuditChain(kdb: KryptDatabase, keys: DerivedKeys, log: FastifyBaseLogger): Promise<void> {
  const upgrade = await upgradeAuditChain(kdb.db, keys.auditKey);
  if (!upgrade.upgraded) return;
  const first = upgrade.previous.problems[0];
  const recorder = createAuditRecorder({ db: kdb.db, dialect: kdb.dialect, now: () => new Date(), auditKey: keys.auditKey });
  await recorder.record(kdb.db, {
    action: 'audit.chain_keyed',
    actor: null,
    client: { ip: null, userAgent: null, command: 'server start' },
    project: null,
    environment: null,
    details: { entries: upgrade.entries, previousChainIntact: upgrade.previous.ok, ...(first ? { firstProblem: first.message } : {}) },
  });
  if (first) log.warn({ entries: upgrade.entries, problems: upgrade.previous.problems.length }, `audit chain keyed with the master key; it was already broken before: ${first.message}`);
  else log.info({ entries: upgrade.entries }, 'audit chain keyed with the master key');
}

/** On SIGTERM/SIGINT, closes the server gracefully once; returns a function removing the handlers. */
export function installShutdownHandlers(
  server: Pick<RunningServer, 'close'>,
  onClosed: (err?: unknown) => void = () => undefined,
  signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): () => void {
  const handler = () => {
    remove();
    server.close().then(() => onClosed(), onClosed);
  };
  const remove = () => signals.forEach((s) => process.off(s, handler));
  signals.forEach((s) => process.once(s, handler));
  return remove;
}
