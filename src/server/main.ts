import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP, type AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { DestinationStream, Level } from 'pino';
import { buildApp, type EventsOptions } from './app.js';
import type { HttpTimeouts } from './plugins/http-limits.js';
import type { FailureLimitOptions } from './services/rate-limit-service.js';
import { formatMasterKey, generateMasterKey, parseMasterKeyText } from './crypto/master-key.js';
import { deriveKeys, type DerivedKeys } from './crypto/value-crypto.js';
import { markChainKeyed, upgradeAuditChain, verifyAuditChain, type AuditVerification } from './services/audit-chain.js';
import { createAuditRecorder } from './services/audit-service.js';
import { bootstrapUser, checkInstanceKey, isInitialised, normaliseEmail, storeKeyCheck } from './services/instance-service.js';
import { ServerStartupError } from './startup-error.js';
import { openDatabase, type DatabaseOptions, type KryptDatabase } from './store/database.js';
import type { DB } from './store/schema.js';

// Entry points for the `krypt server ...` commands: start, dev, init, and master-key input.

export { ServerStartupError } from './startup-error.js';
export { openDatabase, type DatabaseOptions, type KryptDatabase } from './store/database.js';
export type { AuditProblem, AuditVerification } from './services/audit-chain.js';
export { backupStore, MaintenanceError, rotateMasterKey, type RotateMasterKeyOptions } from './maintenance.js';
export type { RotationCounts } from './services/rotation-service.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const DEFAULT_PORT = 8420;
export const DEFAULT_ADMIN_EMAIL = 'admin@krypt.local';
export const DEV_USER_EMAIL = 'dev@krypt.local';

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
  /** Hears what opening the store fixed (e.g. database files tightened to 0600); default: nothing. */
  warn?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  db: Kysely<DB>;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

/** Refuses to start when KRYPT_MASTER_KEY is set: the master key never travels in the environment. */
export function assertNoMasterKeyInEnv(env: NodeJS.ProcessEnv): void {
  if (env.KRYPT_MASTER_KEY !== undefined) {
    throw new ServerStartupError(
      'master_key_in_env',
      'KRYPT_MASTER_KEY is set, but Krypt never reads the master key from an environment variable',
      'unset KRYPT_MASTER_KEY and pass the key with --master-key-file, on standard input, or at the prompt',
    );
  }
}

/** Parses the text form of a master key (64 hex characters, surrounding whitespace ignored). */
export function parseMasterKey(text: string): Buffer {
  try {
    return parseMasterKeyText(text);
  } catch (err) {
    throw new ServerStartupError('master_key_invalid', (err as Error).message, 'use the key printed by `krypt server init`');
  }
}

/** Reads and parses a master key file; `warn` hears when group or others may read it (it is read anyway). */
export function readMasterKeyFile(path: string, warn: (message: string) => void = () => undefined): Buffer {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode & 0o777;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? 'error'})`;
    throw new ServerStartupError('master_key_file', `master key file ${path} ${why}`, 'check the --master-key-file path');
  }
  if ((mode & 0o044) !== 0) {
    warn(`the master key file ${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}): restrict it with \`chmod 600 ${path}\``);
  }
  return parseMasterKey(text);
}

/** Checks that the host is loopback unless the server speaks TLS itself or a TLS-terminating proxy is declared. */
export function assertHostAllowed(host: string, behindTlsProxy: boolean): void {
  if (LOOPBACK.has(host) || behindTlsProxy) return;
  throw new ServerStartupError(
    'insecure_host',
    `refusing to listen on ${host} without TLS: only 127.0.0.1, ::1 and localhost are allowed`,
    'listen on 127.0.0.1, pass --tls-cert and --tls-key, or pass --behind-tls-proxy when a TLS-terminating proxy fronts this server',
  );
}

/** Reads the PEM certificate chain and key for `--tls-cert/--tls-key`, and checks that they form a pair. */
export function readTlsFiles(certPath: string, keyPath: string): { cert: Buffer; key: Buffer } {
  const read = (path: string, what: string, flag: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? 'error'})`;
      throw new ServerStartupError('tls_file', `TLS ${what} file ${path} ${why}`, `check the ${flag} path and its permissions`);
    }
  };
  const tls = { cert: read(certPath, 'certificate', '--tls-cert'), key: read(keyPath, 'key', '--tls-key') };
  assertTlsPair(tls);
  return tls;
}

/** Refuses a certificate or key that is not PEM, or a key that does not belong to the certificate. */
export function assertTlsPair(tls: { cert: Buffer; key: Buffer }): void {
  try {
    createSecureContext({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3' });
  } catch (err) {
    const reason = (err as Error).message.replace(/^error:[0-9A-F]+:/i, '');
    throw new ServerStartupError(
      'tls_invalid',
      `the TLS certificate and key cannot be used (${reason})`,
      'pass a PEM certificate chain with --tls-cert and its matching PEM private key with --tls-key',
    );
  }
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `--trusted-proxy` values (repeated and/or comma-separated) -> addresses, CIDRs or loopback/linklocal/uniquelocal. */
export function parseTrustedProxies(values: readonly string[]): string[] {
  const list = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const entry of list) {
    const [addr, bits, extra] = entry.split('/');
    const family = isIP(addr ?? '');
    const max = family === 4 ? 32 : 128;
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
    if (PROXY_NAMES.has(entry) || (family !== 0 && validBits && extra === undefined)) continue;
    throw new ServerStartupError(
      'trusted_proxy',
      `invalid --trusted-proxy "${entry}"`,
      'give IP addresses or CIDR ranges (e.g. 10.0.0.5, 10.0.0.0/8), or loopback, linklocal, uniquelocal',
    );
  }
  return list;
}

async function useDatabase(
  database: DatabaseOptions | KryptDatabase,
  warn?: (message: string) => void,
): Promise<{ kdb: KryptDatabase; owned: boolean }> {
  if ('db' in database) return { kdb: database, owned: false };
  return { kdb: await openDatabase(database, warn ? { warn } : {}), owned: true };
}

/** Opens the store, verifies the master key against the key check, and listens. */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  assertHostAllowed(host, (opts.behindTlsProxy ?? false) || opts.tls !== undefined);
  if (opts.tls) assertTlsPair(opts.tls);
  const keys = deriveKeys(opts.masterKey);
  const { kdb, owned } = await useDatabase(opts.database, opts.warn);
  const closeDb = async () => {
    if (owned) await kdb.destroy();
  };
  try {
    const state = await checkInstanceKey(kdb.db, keys);
    if (state === 'uninitialised') {
      throw new ServerStartupError('not_initialised', 'this Krypt instance is not initialised', 'run `krypt server init` first');
    }
    if (state === 'key-mismatch') {
      throw new ServerStartupError(
        'master_key_mismatch',
        'the master key does not match this instance (key check failed)',
        'use the master key printed by `krypt server init` for this data directory or database',
      );
    }
    const app = await buildApp({
      db: kdb.db,
      dialect: kdb.dialect,
      keys,
      ...(kdb.newClient ? { newClient: kdb.newClient } : {}),
      ...(opts.logDestination ? { logDestination: opts.logDestination } : {}),
      ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
      ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
      ...(opts.events ? { events: opts.events } : {}),
      ...(opts.failureLimit ? { failureLimit: opts.failureLimit } : {}),
      ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.trustedProxies ? { trustedProxies: opts.trustedProxies } : {}),
    });
    try {
      await keyAuditChain(kdb, keys, app.log);
      await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
    } catch (err) {
      // The app holds the change feed's LISTEN connection: release it, or the process would linger.
      await app.close();
      throw err;
    }
    const { port } = app.server.address() as AddressInfo;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    let closing: Promise<void> | undefined;
    return {
      url: `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`,
      port,
      db: kdb.db,
      close: () => (closing ??= app.close().then(closeDb)),
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
  const recorder = createAuditRecorder({ dialect: kdb.dialect, now: () => new Date(), auditKey: keys.auditKey });
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

export interface InitInstanceOptions {
  database: DatabaseOptions | KryptDatabase;
  email?: string;
  name?: string;
  /** Hears what opening the store fixed (e.g. database files tightened to 0600). */
  warn?: (message: string) => void;
}

export interface InitResult {
  /** 64 lowercase hex characters: shown once, never stored by the server. */
  masterKey: string;
  token: string;
  user: { id: string; email: string; name: string };
}

/** Initialises a fresh instance: new master key, key check, first user and API key. */
export async function initInstance(opts: InitInstanceOptions): Promise<InitResult> {
  const email = normaliseEmail(opts.email ?? DEFAULT_ADMIN_EMAIL);
  if (email === undefined) {
    throw new ServerStartupError('invalid_email', `"${opts.email}" is not an email address`, 'pass the first user\'s email with --email, e.g. you@example.com');
  }
  const { kdb, owned } = await useDatabase(opts.database, opts.warn);
  try {
    if (await isInitialised(kdb.db)) {
      throw new ServerStartupError(
        'already_initialised',
        'this Krypt instance is already initialised',
        'start it with `krypt server start` and the master key you were given at init',
      );
    }
    const masterKey = generateMasterKey();
    const now = new Date();
    await storeKeyCheck(kdb.db, deriveKeys(masterKey), now);
    await markChainKeyed(kdb.db);
    const { user, token } = await bootstrapUser(kdb.db, {
      email,
      ...(opts.name ? { name: opts.name } : {}),
      keyName: 'init',
      now,
    });
    return { masterKey: formatMasterKey(masterKey), token, user };
  } finally {
    if (owned) await kdb.destroy();
  }
}

export interface DevServerOptions {
  port?: number;
  logDestination?: DestinationStream;
  logLevel?: Level;
}

/** `krypt server start --dev`: in-memory SQLite, throw-away master key, loopback, bootstrapped owner key. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<{ url: string; token: string; close(): Promise<void> }> {
  const kdb = await openDatabase({ memory: true });
  try {
    const init = await initInstance({ database: kdb, email: DEV_USER_EMAIL, name: 'dev' });
    const server = await startServer({
      database: kdb,
      masterKey: parseMasterKeyText(init.masterKey),
      host: '127.0.0.1',
      port: opts.port ?? DEFAULT_PORT,
      ...(opts.logDestination ? { logDestination: opts.logDestination } : {}),
      ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
    });
    let closing: Promise<void> | undefined;
    return { url: server.url, token: init.token, close: () => (closing ??= server.close().then(() => kdb.destroy())) };
  } catch (err) {
    await kdb.destroy();
    throw err;
  }
}

/**
 * `krypt server verify-audit`: opens the store, checks the master key against the key check,
 * recomputes every entry's keyed hash and link, and lists every problem; problems[0] is the first
 * break. An uninitialised instance is an error (never "ok, 0 entries"), and a missing SQLite file
 * is not created.
 */
export async function verifyAudit(database: DatabaseOptions, masterKey: Buffer): Promise<AuditVerification> {
  const notInitialised = () =>
    new ServerStartupError('not_initialised', 'this Krypt instance is not initialised', 'check --data-dir or --database-url');
  if ('dataDir' in database && !existsSync(join(database.dataDir, 'krypt.db'))) throw notInitialised();
  const keys = deriveKeys(masterKey);
  const kdb = await openDatabase(database);
  try {
    const state = await checkInstanceKey(kdb.db, keys);
    if (state === 'uninitialised') throw notInitialised();
    if (state === 'key-mismatch') {
      throw new ServerStartupError('master_key_mismatch', 'the master key does not match this instance (key check failed)', 'pass the master key the server starts with');
    }
    return await verifyAuditChain(kdb.db, keys.auditKey);
  } finally {
    await kdb.destroy();
  }
}
