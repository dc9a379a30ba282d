import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { initInstance, openDatabase, parseMasterKey, startServer, type KryptDatabase, type StartServerOptions } from '../../src/server/entry/index.js';
import { deriveKeys } from '../../src/server/crypto/value-crypto.js';
import { bootstrapUser } from '../../src/server/services/instance-service.js';
import type { DB } from '../../src/server/store/schema.js';
import { createTestPgDatabase, type TestPgDatabase } from './pg.js';

/**
 * A real Krypt API server for tests, built by the same entry/app code as `krypt server start`.
 *
 *   const srv = await startTestServer({ dialect: 'sqlite' });   // or 'postgres' (fresh database)
 *   srv.url        http://127.0.0.1:<port> (listening on 127.0.0.1:0)
 *   srv.token      API key of the initial user (admin@krypt.local); owner of what it creates
 *   srv.masterKey  the instance's master key, 64 lowercase hex characters
 *   srv.auditKey   the audit chain's key derived from it (for verifyAuditChain)
 *   srv.db         Kysely handle on the same database, for direct inspection/tampering
 *   srv.logs()     everything the server logged so far (pino JSON lines)
 *   srv.createUser(email) → API key of a new (or existing) user; they belong to no project
 *   srv.call(method, path, { token, body, headers }) → { status, json, text, headers } (token defaults to srv.token; null = none)
 *   srv.close()    stops the server, closes the database, drops the PostgreSQL database
 *
 * PostgreSQL: postgres://postgres@127.0.0.1:5432 (KRYPT_TEST_PG_URL overrides); unreachable = failure.
 */
/** A response as tests inspect it. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON of many response shapes
  json: any;
  text: string;
}

export interface CallOptions {
  /** API key to send; undefined = the initial user's, null = no Authorization header. */
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  token: string;
  masterKey: string;
  auditKey: Buffer;
  db: Kysely<DB>;
  logs(): string;
  createUser(email: string): Promise<string>;
  call(method: string, path: string, opts?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** `method path` against the server at `url`, authenticated as `defaultToken` unless `opts.token` says otherwise. */
export async function callApi(url: string, defaultToken: string, method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? defaultToken : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: ApiResponse['json'];
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export interface TestServerOptions {
  dialect?: 'sqlite' | 'postgres';
  /** Body limit in bytes (default: the server's 16 MiB). */
  bodyLimit?: number;
  /** Failed credentials per address before 429 (default: the server's 20 a minute). */
  failureLimit?: StartServerOptions['failureLimit'];
  /** HTTP timeouts (default: the server's). */
  timeouts?: StartServerOptions['timeouts'];
  /** Change stream options (default: the server's). */
  events?: StartServerOptions['events'];
  /** The built dashboard to serve (default: the package's dist/dashboard). */
  dashboardDir?: string;
  /** Sign-in link and session lifetimes (default: the server's). */
  sessions?: StartServerOptions['sessions'];
  /** The server's clock (default: the system's). */
  now?: () => Date;
  /** The server sits behind a TLS-terminating proxy (its session cookies are Secure). */
  behindTlsProxy?: boolean;
  /** Report 5xx errors to this Sentry DSN (default: nowhere). */
  errorReporting?: StartServerOptions['errorReporting'];
  /** Send notification emails through this SMTP server (default: no email). */
  smtp?: StartServerOptions['smtp'];
  /** Outbox settings: public URL, private webhook destinations, timings. */
  notifications?: StartServerOptions['notifications'];
}

/** A fresh, migrated database: in-memory SQLite, or a new PostgreSQL database (dropped by `drop`). */
export async function openTestDatabase(dialect: 'sqlite' | 'postgres'): Promise<{ kdb: KryptDatabase; pgDb: TestPgDatabase | undefined }> {
  if (dialect === 'sqlite') return { kdb: await openDatabase({ memory: true }), pgDb: undefined };
  const pgDb = await createTestPgDatabase();
  return { kdb: await openDatabase({ databaseUrl: pgDb.url }), pgDb };
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const { kdb, pgDb } = await openTestDatabase(opts.dialect ?? 'sqlite');
  const chunks: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const init = await initInstance({ database: kdb });
  const server = await startServer({
    database: kdb,
    masterKey: parseMasterKey(init.masterKey),
    host: '127.0.0.1',
    port: 0,
    logDestination,
    logLevel: 'info',
    ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
    ...(opts.failureLimit ? { failureLimit: opts.failureLimit } : {}),
    ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
    ...(opts.events ? { events: opts.events } : {}),
    ...(opts.dashboardDir ? { dashboardDir: opts.dashboardDir } : {}),
    ...(opts.sessions ? { sessions: opts.sessions } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.behindTlsProxy ? { behindTlsProxy: true } : {}),
    ...(opts.errorReporting ? { errorReporting: opts.errorReporting } : {}),
    ...(opts.smtp ? { smtp: opts.smtp } : {}),
    ...(opts.notifications ? { notifications: opts.notifications } : {}),
  });
  let closed: Promise<void> | undefined;
  return {
    url: server.url,
    token: init.token,
    masterKey: init.masterKey,
    auditKey: deriveKeys(parseMasterKey(init.masterKey)).auditKey,
    db: kdb.db,
    logs: () => chunks.join(''),
    createUser: async (email) => (await bootstrapUser(kdb.db, { email, keyName: 'test' })).token,
    call: (method, path, callOpts) => callApi(server.url, init.token, method, path, callOpts),
    close: () =>
      (closed ??= (async () => {
        await server.close();
        await kdb.destroy();
        await pgDb?.drop();
      })()),
  };
}
