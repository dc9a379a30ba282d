import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { readEnvironmentRevision } from '../store/projects-store.js';
import type { DB } from '../store/schema.js';
import { createSubscriberSet, type ChangeFeed } from './change-feed.js';

// The PostgreSQL feed: writes NOTIFY inside their transaction (PostgreSQL delivers it at commit,
// and drops it on rollback); each server process holds ONE dedicated connection LISTENing and fans
// out to its local subscribers, so a write through any replica reaches watchers on every replica.

/** The NOTIFY channel; payload `<environment id>:<revision>`. */
export const CHANGE_CHANNEL = 'krypt_env_changes';

export interface PostgresChangeFeedOptions {
  /** The pool, for re-reading revisions after the listener reconnects. */
  db: Kysely<DB>;
  /** A new, unconnected client outside the pool. */
  newClient: () => pg.Client;
  /** Told about a lost or failed listener connection (it is retried) and about listener errors. */
  onError?: (err: unknown, context: string) => void;
  /** Reconnect delays: doubling from initialMs up to maxMs. */
  retry?: { initialMs: number; maxMs: number };
  /** How often the listener connection is probed with a query (a silent half-open socket delivers nothing). */
  healthCheckMs?: number;
}

function parsePayload(payload: string | undefined): { environmentId: string; revision: number } | undefined {
  const at = payload?.lastIndexOf(':') ?? -1;
  if (payload === undefined || at <= 0) return undefined;
  const revision = Number(payload.slice(at + 1));
  return Number.isSafeInteger(revision) && revision >= 0 ? { environmentId: payload.slice(0, at), revision } : undefined;
}

/**
 * Connects the LISTEN client (rejecting if the first attempt fails, so a server does not start
 * deaf) and returns the feed. A dropped connection is re-established with backoff; after each
 * reconnect the revisions of subscribed environments are re-read, since NOTIFYs sent while
 * disconnected are lost.
 */
export async function createPostgresChangeFeed(opts: PostgresChangeFeedOptions): Promise<ChangeFeed> {
  const onError = opts.onError ?? (() => undefined);
  const retry = opts.retry ?? { initialMs: 500, maxMs: 10_000 };
  const subscribers = createSubscriberSet((err) => onError(err, 'listener'));
  let client: pg.Client | undefined;
  let closed = false;
  let delay = retry.initialMs;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const probe = setInterval(() => {
    client?.query('SELECT 1').catch((err: unknown) => onError(err, 'health check'));
  }, opts.healthCheckMs ?? 30_000);
  probe.unref();

  function lost(c: pg.Client, err: unknown): void {
    if (client !== c) return;
    client = undefined;
    onError(err, 'connection lost');
    c.end().catch(() => undefined);
    schedule();
  }

  function schedule(): void {
    if (closed || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect().then(resync, (err: unknown) => {
        onError(err, 'reconnect failed');
        schedule();
      });
    }, delay);
    delay = Math.min(delay * 2, retry.maxMs);
  }

  async function connect(): Promise<void> {
    const c = opts.newClient();
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, new Error('listener connection ended')));
    c.on('notification', (msg) => {
      if (msg.channel !== CHANGE_CHANNEL) return;
      const change = parsePayload(msg.payload);
      if (change) subscribers.emit(change.environmentId, change.revision);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    delay = retry.initialMs;
  }

  async function resync(): Promise<void> {
    for (const id of subscribers.environmentIds()) {
      const revision = await readEnvironmentRevision(opts.db, id, 'postgres').catch((err: unknown) => onError(err, 'resync'));
      if (typeof revision === 'number' && !closed) subscribers.emit(id, revision);
    }
  }

  try {
    await connect();
  } catch (err) {
    clearInterval(probe);
    throw err;
  }

  return {
    async published(trx, environmentId, revision) {
      await sql`SELECT pg_notify(${CHANGE_CHANNEL}, ${`${environmentId}:${revision}`})`.execute(trx);
    },
    subscribe: (environmentId, listener) => subscribers.add(environmentId, listener),
    async close() {
      closed = true;
      clearInterval(probe);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      subscribers.clear();
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
