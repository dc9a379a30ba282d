import type { DestinationStream, Level } from 'pino';
import { parseMasterKeyText } from '../crypto/master-key.js';
import { openDatabase } from '../store/database.js';
import { initInstance } from './init.js';
import { DEFAULT_PORT, startServer } from './start.js';

// `krypt server start --dev`: a throw-away instance that lives only in memory.

export const DEV_USER_EMAIL = 'dev@krypt.local';

export interface DevServerOptions {
  port?: number;
  logDestination?: DestinationStream;
  logLevel?: Level;
  /** Serve Prometheus metrics on this port too (on 127.0.0.1, like the server; 0 picks a free one). */
  metricsPort?: number;
}

/** `krypt server start --dev`: in-memory SQLite, throw-away master key, loopback, bootstrapped owner key. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<{ url: string; metricsUrl?: string; token: string; close(): Promise<void> }> {
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
      ...(opts.metricsPort !== undefined ? { metrics: { port: opts.metricsPort } } : {}),
    });
    let closing: Promise<void> | undefined;
    return { url: server.url, ...(server.metricsUrl ? { metricsUrl: server.metricsUrl } : {}), token: init.token, close: () => (closing ??= server.close().then(() => kdb.destroy())) };
  } catch (err) {
    await kdb.destroy();
    throw err;
  }
}
