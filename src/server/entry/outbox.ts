import { countOutbox, listUnsentOutbox, retryFailedOutbox } from '../store/outbox-store.js';
import { openDatabase, type DatabaseOptions } from '../store/database.js';
import { assertStoreExists } from './maintenance.js';

// `krypt server outbox`: the deliveries not yet sent, read straight from the store (no master key:
// recipients, topics and states are plain; the messages stay encrypted), and putting failed ones
// back in line for the running servers to send.

/** One delivery as the operator sees it (never its message). */
export interface OutboxEntry {
  id: string;
  channel: 'email' | 'webhook';
  topic: string;
  recipient: string;
  status: 'pending' | 'failed';
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  lastError: string | null;
}

export interface OutboxReport {
  counts: { pending: number; sent: number; failed: number };
  /** Pending and failed deliveries, oldest first (at most `limit`). */
  unsent: OutboxEntry[];
  /** How many failed deliveries were put back in line (with retryFailed). */
  retried: number;
}

/** Lists the outbox; with `retryFailed`, first puts every failed delivery back in line. */
export async function inspectOutbox(database: DatabaseOptions, opts: { retryFailed?: boolean; limit?: number } = {}): Promise<OutboxReport> {
  assertStoreExists(database);
  const kdb = await openDatabase(database);
  try {
    const retried = opts.retryFailed ? await retryFailedOutbox(kdb.db, new Date().toISOString()) : 0;
    const rows = await listUnsentOutbox(kdb.db, opts.limit ?? 100);
    return {
      counts: await countOutbox(kdb.db),
      retried,
      unsent: rows.map((r) => ({
        id: r.id,
        channel: r.channel,
        topic: r.topic,
        recipient: r.recipient,
        status: r.status as 'pending' | 'failed',
        attempts: r.attempts,
        createdAt: r.created_at,
        nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
        lastError: r.last_error,
      })),
    };
  } finally {
    await kdb.destroy();
  }
}
