import { defineCommand, flag, type CommandContext } from '../../cli/command.js';
import { defineStorageFlags, resolveStorage } from '../../cli/storage.js';
import { buildInfo } from '../../cli/version.js';
import { KryptError } from '../../lib/errors.js';
import { parseDuration } from '../../lib/time/duration.js';
import { DEFAULT_SERVER_PORT, MAX_SIGN_IN_LINK_SECONDS } from '../../contract/constants.js';
import { serverEntry, type ServerEntry } from './entry.js';
import { readMasterKey } from './master-key.js';
import { notificationFlags, resolveNotifications } from './notification-flags.js';

export default defineCommand({
  id: 'server:start',
  description: [
    'Run the Krypt API server until SIGTERM/SIGINT (in-flight requests finish, the database closes cleanly).',
    'The master key comes from --master-key-file, standard input, or a hidden prompt; never from the environment.',
    '--dev runs a throw-away instance (in-memory SQLite and key) and prints `export KRYPT_API_URL=...` and `export KRYPT_TOKEN=...`.',
  ].join('\n'),
  examples: [
    'krypt server start --dev --port 0 > dev.env &  # the export lines appear once it accepts connections',
    'krypt server start --data-dir /var/lib/krypt --master-key-file /run/secrets/krypt-master-key',
    'krypt server start --database-url postgres://krypt@db/krypt --master-key-file key.txt',
    'krypt server start --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem --data-dir /var/lib/krypt --master-key-file key.txt',
    'krypt server start --host 0.0.0.0 --behind-tls-proxy --trusted-proxy 10.0.0.5 --data-dir /var/lib/krypt --master-key-file key.txt',
    'krypt server start --data-dir /var/lib/krypt --master-key-file key.txt --metrics-port 9464',
  ],
  output: 'self',
  flags: {
    dev: flag.boolean({ description: 'throw-away dev instance: in-memory SQLite, random in-memory key, 127.0.0.1 only' }),
    host: flag.string({ description: 'address to listen on (loopback only unless --behind-tls-proxy)', default: '127.0.0.1' }),
    port: flag.integer({ description: 'port; 0 picks a free one', default: DEFAULT_SERVER_PORT, min: 0, max: 65535 }),
    ...defineStorageFlags({ exclusive: ['dev'] }),
    'master-key-file': flag.string({ description: 'file holding the master key (e.g. a mounted secret)', exclusive: ['dev'] }),
    'behind-tls-proxy': flag.boolean({ description: 'allow a non-loopback --host: a TLS-terminating proxy fronts this server' }),
    'tls-cert': flag.string({ description: 'PEM certificate chain: serve HTTPS (TLS 1.3 only)', dependsOn: ['tls-key'], exclusive: ['dev'] }),
    'tls-key': flag.string({ description: 'PEM private key of --tls-cert', dependsOn: ['tls-cert'], exclusive: ['dev'] }),
    'trusted-proxy': flag.string({
      description: 'proxy address or CIDR whose X-Forwarded-For/-Proto are trusted (repeatable, or a comma list); others are not',
      multiple: true,
      exclusive: ['dev'],
    }),
    'session-idle': flag.string({ description: 'a dashboard session unused this long ends (default 30m)', exclusive: ['dev'] }),
    'session-max': flag.string({ description: 'a dashboard session ends this long after sign-in, however much it is used (default 12h)', exclusive: ['dev'] }),
    'sign-in-link-ttl': flag.string({ description: 'a `krypt open` sign-in link works this long, 2m at most (default 2m)', exclusive: ['dev'] }),
    'metrics-port': flag.integer({ description: 'serve Prometheus metrics at /metrics on this port, a separate plain-HTTP listener (off unless given; 0 picks a free port)', min: 0, max: 65535 }),
    'metrics-host': flag.string({ description: 'address of the metrics listener (loopback only unless --metrics-public)', default: '127.0.0.1', dependsOn: ['metrics-port'], exclusive: ['dev'] }),
    'metrics-public': flag.boolean({ description: 'allow a non-loopback --metrics-host: whoever reaches it reads request and failure counts (never values, key names or emails)', dependsOn: ['metrics-host'], exclusive: ['dev'] }),
    'log-level': flag.string({ description: 'how much the server logs (JSON lines on stderr; default info, warn with --dev); debug adds one line per request, never values', options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] }),
    'sentry-dsn': flag.string({ description: 'report unexpected server errors (5xx) to Sentry: error, stack, route, request id, release; scrubbed of headers, bodies, query strings, emails and tokens [env: KRYPT_SENTRY_DSN]', exclusive: ['dev'] }),
    ...notificationFlags,
    json: flag.boolean({ description: 'print the ready line as one JSON object on stdout (with --dev: KRYPT_API_URL and KRYPT_TOKEN); errors as JSON', helpGroup: 'GLOBAL' }),
  },
  async run(ctx, { flags }): Promise<void> {
    const { assertNoMasterKeyInEnv, assertSentryDsn, installShutdownHandlers, parseTrustedProxies, readTlsFiles, startDevServer, startServer } = await serverEntry();
    assertNoMasterKeyInEnv(ctx.deps.env);
    // The dev server keeps its request logs off the user's terminal unless asked for.
    const logLevel = (flags['log-level'] ?? (flags.dev ? 'warn' : 'info')) as 'info';
    if (flags.dev) {
      if (flags.host !== '127.0.0.1') {
        throw new KryptError('usage', '--dev listens on 127.0.0.1 only', { hint: 'drop --host, or run a real instance (`krypt server init`)' });
      }
      const dev = await startDevServer({ port: flags.port, logLevel, ...(flags['metrics-port'] !== undefined ? { metricsPort: flags['metrics-port'] } : {}) });
      // Written once it accepts connections, in one write: a script can wait for the lines to appear.
      ctx.deps.stderr.write(`Krypt dev server listening on ${dev.url} (in-memory: everything is lost when it stops)\n${metricsLine(dev.metricsUrl)}`);
      ctx.deps.stdout.write(flags.json ? JSON.stringify({ KRYPT_API_URL: dev.url, KRYPT_TOKEN: dev.token }) + '\n' : `export KRYPT_API_URL=${dev.url}\nexport KRYPT_TOKEN=${dev.token}\n`);
      return serveUntilSignal(ctx, dev, installShutdownHandlers);
    }
    const database = resolveStorage(flags, ctx.deps.env, 'pass --data-dir DIR (SQLite) or --database-url postgres://... (or use --dev)');
    const tls = flags['tls-cert'] && flags['tls-key'] ? readTlsFiles(flags['tls-cert'], flags['tls-key']) : undefined;
    const trustedProxies = parseTrustedProxies(flags['trusted-proxy'] ?? []);
    const sessions = {
      ...(flags['session-idle'] !== undefined ? { idleSeconds: parseDuration(flags['session-idle'], '--session-idle') } : {}),
      ...(flags['session-max'] !== undefined ? { absoluteSeconds: parseDuration(flags['session-max'], '--session-max') } : {}),
      ...(flags['sign-in-link-ttl'] !== undefined ? { signInLinkSeconds: signInLinkSeconds(flags['sign-in-link-ttl']) } : {}),
    };
    const sentryDsn = flags['sentry-dsn'] ?? (ctx.deps.env.KRYPT_SENTRY_DSN || undefined);
    if (sentryDsn !== undefined) assertSentryDsn(sentryDsn);
    const notifications = await resolveNotifications(flags, ctx.deps.env);
    const masterKey = await readMasterKey(ctx, flags['master-key-file']);
    const server = await startServer({
      ...notifications,
      version: buildInfo().version,
      database,
      masterKey,
      host: flags.host,
      port: flags.port,
      behindTlsProxy: flags['behind-tls-proxy'],
      ...(tls ? { tls } : {}),
      trustedProxies,
      sessions,
      logLevel,
      warn: (message) => ctx.warn(message),
      ...(flags['metrics-port'] !== undefined ? { metrics: { port: flags['metrics-port'], host: flags['metrics-host'], allowRemote: flags['metrics-public'] } } : {}),
      ...(sentryDsn !== undefined ? { errorReporting: { dsn: sentryDsn, release: sentryRelease() } } : {}),
    });
    masterKey.fill(0);
    ctx.deps.stderr.write(`Krypt server listening on ${server.url}\n${metricsLine(server.metricsUrl)}`);
    if (flags.json) ctx.deps.stdout.write(JSON.stringify({ url: server.url, ...(server.metricsUrl ? { metricsUrl: server.metricsUrl } : {}) }) + '\n');
    return serveUntilSignal(ctx, server, installShutdownHandlers);
  },
});

/** The start-up line naming the metrics listener, when there is one (after the `listening on` line scripts wait for). */
const metricsLine = (url: string | undefined): string => (url ? `Krypt metrics at ${url}\n` : '');

/** The Sentry release: `krypt@0.1.0`, or `krypt@0.1.0+3f2c1ab` when the build stamped its commit. */
function sentryRelease(): string {
  const { version, commit } = buildInfo();
  return `krypt@${version}${commit === 'unknown' ? '' : `+${commit}`}`;
}

/** --sign-in-link-ttl in seconds: shorter than the product's 2 minutes is the operator's choice, longer is refused. */
function signInLinkSeconds(text: string): number {
  const seconds = parseDuration(text, '--sign-in-link-ttl');
  if (seconds > MAX_SIGN_IN_LINK_SECONDS) {
    throw new KryptError('invalid_duration', `--sign-in-link-ttl may be at most ${MAX_SIGN_IN_LINK_SECONDS / 60}m: a sign-in link works for 2 minutes at most`, { hint: 'use a shorter duration, e.g. 30s or 2m' });
  }
  return seconds;
}

/** Resolves when the server has shut down after SIGTERM/SIGINT (in-flight requests finish first). */
function serveUntilSignal(ctx: CommandContext, server: { close(): Promise<void> }, installShutdownHandlers: ServerEntry['installShutdownHandlers']): Promise<void> {
  return new Promise((resolve, reject) => {
    installShutdownHandlers(server, (err) => {
      if (err) reject(err);
      else {
        ctx.deps.stderr.write('Krypt server stopped.\n');
        resolve();
      }
    });
  });
}
