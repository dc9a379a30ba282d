import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { decryptValue, type DerivedKeys } from '../crypto/value-crypto.js';
import { claimOutboxRow, findDueOutboxIds, findWebhook, settleOutboxRow, type OutboxOutcome, type OutboxRow } from '../store/outbox-store.js';
import type { DB } from '../store/schema.js';
import type { Email } from './notice-emails.js';
import { readOutboxPayload, webhookSecretContext } from './outbox-service.js';
import { postWebhook } from './webhook-delivery.js';

// The sending half of the outbox, one per server process: it claims due deliveries (a lease, so a
// replica that dies mid-send leaves the row to another once the lease lapses), sends each, and
// records the outcome. A failed attempt is retried with exponential backoff until it has been
// tried `maxAttempts` times; then it stays `failed` (`krypt server outbox` lists it). A delivery is
// marked sent only after the SMTP server or the endpoint accepted it: a crash in between sends it
// again, with the same Message-ID / webhook-id, so the receiver can tell.

/** Sends one email; rejects with `permanent` set when retrying cannot help (e.g. SMTP 5xx). */
export interface Mailer {
  send(email: Email, messageId: string): Promise<void>;
  close(): void;
}

export interface RetryPolicy {
  /** The wait after the first failure; it doubles after each one (default 5 s). */
  baseMs: number;
  /** The longest wait between attempts (default 15 min). */
  maxMs: number;
  /** Attempts before a delivery is left failed (default 12: about 1 h 20 min of retries). */
  maxAttempts: number;
}

export interface OutboxSenderOptions {
  db: Kysely<DB>;
  keys: DerivedKeys;
  now: () => Date;
  log: { warn(details: Record<string, unknown>, message: string): void; info(details: Record<string, unknown>, message: string): void };
  /** Present when this process sends email (--smtp-url); email rows are left to other replicas otherwise. */
  mailer?: Mailer;
  /** Webhook destinations on private or loopback addresses are allowed (--webhooks-allow-private). */
  allowPrivateWebhooks?: boolean;
  /** How often due deliveries are looked for besides wake-ups (default 2 s). */
  pollMs?: number;
  /** How long a claimed delivery stays this process's (default 120 s: longer than the slowest attempt, three SMTP timeouts of 20 s). */
  leaseMs?: number;
  /** A webhook endpoint's time to answer (default 10 s). */
  webhookTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Hears each settled attempt (metrics). */
  onAttempt?: (channel: OutboxRow['channel'], result: 'sent' | 'retry' | 'failed') => void;
}

export interface OutboxSender {
  /** Looks for due deliveries now (after a commit that stored some). */
  wake(): void;
  /** Stops polling and waits for the attempt in progress. */
  close(): Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, maxMs: 15 * 60_000, maxAttempts: 12 };
const BATCH = 20;
const MAX_ERROR = 500;

class PermanentFailure extends Error {}

/** Marks an error as one retrying cannot cure. */
export const permanentFailure = (message: string): Error => new PermanentFailure(message);

/** Starts the sender; it runs until close(). */
export function createOutboxSender(opts: OutboxSenderOptions): OutboxSender {
  const sender = randomUUID();
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  const pollMs = opts.pollMs ?? 2_000;
  const leaseMs = opts.leaseMs ?? 120_000;
  const channels: OutboxRow['channel'][] = opts.mailer ? ['email', 'webhook'] : ['webhook'];
  let closed = false;
  let pass: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  async function deliver(row: OutboxRow): Promise<{ responseStatus: number | null }> {
    const payload = readOutboxPayload(opts.keys, row);
    if (payload.channel === 'email') {
      if (!opts.mailer) throw new Error('this server sends no email');
      await opts.mailer.send(payload.email, `<${row.id}@krypt.outbox>`);
      return { responseStatus: null };
    }
    const hook = row.webhook_id && row.project_id ? await findWebhook(opts.db, row.project_id, row.webhook_id) : undefined;
    if (!hook) throw permanentFailure('the webhook was removed');
    const secret = decryptValue(opts.keys, webhookSecretContext(hook), { value: hook.secret, tag: hook.secret_tag });
    const status = await postWebhook({
      url: hook.url,
      id: row.id,
      body: payload.body,
      secret,
      at: opts.now(),
      allowPrivate: opts.allowPrivateWebhooks ?? false,
      timeoutMs: opts.webhookTimeoutMs ?? 10_000,
    });
    if (status < 200 || status > 299) throw Object.assign(new Error(`the endpoint answered HTTP ${status}`), { responseStatus: status });
    return { responseStatus: status };
  }

  async function attempt(row: OutboxRow): Promise<void> {
    const attempts = row.attempts + 1;
    let outcome: OutboxOutcome;
    try {
      const { responseStatus } = await deliver(row);
      outcome = { status: 'sent', attempts, nextAttemptAt: row.next_attempt_at, lastError: null, responseStatus, sentAt: opts.now().toISOString() };
    } catch (err) {
      const message = ((err as Error).message || String(err)).slice(0, MAX_ERROR);
      const responseStatus = (err as { responseStatus?: number }).responseStatus ?? null;
      const giveUp = err instanceof PermanentFailure || attempts >= retry.maxAttempts;
      const wait = Math.min(retry.baseMs * 2 ** (attempts - 1), retry.maxMs);
      outcome = {
        status: giveUp ? 'failed' : 'pending',
        attempts,
        nextAttemptAt: new Date(opts.now().getTime() + wait).toISOString(),
        lastError: message,
        responseStatus,
        sentAt: null,
      };
      opts.log.warn({ delivery: row.id, channel: row.channel, topic: row.topic, attempts, failed: giveUp }, `outbox delivery ${giveUp ? 'failed for good' : 'failed, will retry'}: ${message}`);
    }
    if (!(await settleOutboxRow(opts.db, row.id, sender, outcome))) {
      opts.log.warn({ delivery: row.id }, 'outbox lease lapsed before the delivery was settled; another sender may repeat it');
    }
    opts.onAttempt?.(row.channel, outcome.status === 'sent' ? 'sent' : outcome.status === 'failed' ? 'failed' : 'retry');
  }

  /** Claims and sends due deliveries until none is left. */
  async function drain(): Promise<void> {
    for (;;) {
      again = false;
      const now = opts.now();
      const ids = await findDueOutboxIds(opts.db, channels, now.toISOString(), BATCH);
      for (const id of ids) {
        if (closed) return;
        const at = opts.now();
        const row = await claimOutboxRow(opts.db, id, sender, at.toISOString(), new Date(at.getTime() + leaseMs).toISOString());
        if (row) await attempt(row);
      }
      if (closed || (ids.length < BATCH && !again)) return;
    }
  }

  function run(): void {
    if (closed) return;
    if (pass) {
      again = true;
      return;
    }
    clearTimeout(timer);
    pass = drain()
      .catch((err: unknown) => opts.log.warn({ err }, 'outbox: looking for due deliveries failed; trying again shortly'))
      .finally(() => {
        pass = undefined;
        if (again) run();
        else if (!closed) timer = setTimeout(run, pollMs);
      });
  }

  run();
  return {
    wake() {
      // After the enqueuing transaction's commit, which follows its last statement closely.
      setTimeout(run, 5);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await pass;
      opts.mailer?.close();
    },
  };
}
