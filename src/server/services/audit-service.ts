import type { z } from 'zod';
import type { AuditEntry, auditQuerySchema } from '../../contract/index.js';
import type { Kysely } from 'kysely';
import { appendAuditRowsIfHeadIs, claimAuditIds, insertAuditEntries, listAuditEntries, readAuditHead, setAuditHeadHash, type AuditHead, type AuditRow } from '../store/audit-store.js';
import type { DB, Dialect, Executor } from '../store/schema.js';
import { keyedHasher } from './audit-chain.js';
import { authorize, requireProjectScope } from './access.js';
import { requirePersonalKey } from './policy.js';
import type { AuditEvent, AuditRecorder, AuthContext, ServiceDeps } from './service-deps.js';

// The append-only audit log: recording (inside the audited transaction) and reading a project's
// entries. Ids are claimed from the chain head, so they run 1, 2, 3… with no gaps; each entry's
// hash chains it to the previous one under the audit key (audit-chain.ts).

export type AuditQuery = z.output<typeof auditQuerySchema>;

function clip(text: string | null, max: number): string | null {
  return text === null ? null : text.slice(0, max);
}

function canonicalDetails(details: AuditEvent['details']): string {
  const sorted: Record<string, string | number | boolean | null> = {};
  for (const k of Object.keys(details ?? {}).sort()) sorted[k] = (details ?? {})[k] ?? null;
  return JSON.stringify(sorted);
}

/** What the recorder reports of each group commit (metrics): entries in it and how long the oldest waited. */
export type AuditBatchObserver = (size: number, waitSeconds: number) => void;

// Entries appended in one group commit at most; more wait for the next.
const MAX_BATCH = 500;
// Times a PostgreSQL batch is re-chained after the head moved under it, before it fails.
const MAX_ATTEMPTS = 100;

interface Pending {
  event: AuditEvent;
  queuedAt: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The recorder services call. record() appends inside the given transaction (or its own, when
 * handed the root handle): for changes, so the change and its entry commit or roll back together.
 * On PostgreSQL that transaction must be READ COMMITTED: under REPEATABLE READ the head would be
 * read from a stale snapshot (PostgreSQL refuses with a serialization failure).
 *
 * append() is for reads, which change nothing: the entry is written after the read's transaction,
 * by a group commit. While one batch is being committed, the entries of concurrent requests
 * queue; the next batch appends all of them at once. On SQLite that is one short transaction that
 * takes the chain head once (one claim of N ids, one multi-row insert, one head update). On
 * PostgreSQL it is one statement on a connection of its own (`groupCommitDb`) that writes the
 * entries and moves the head only if the head is where this replica last saw it (else it re-chains
 * on the head the statement saw and tries again), so replicas never wait on each other across
 * round trips and the chain stays one sequence. A request is answered only when its batch has
 * committed; if the batch fails, every request in it fails (fail-closed).
 */
export function createAuditRecorder(deps: { db: Kysely<DB>; groupCommitDb?: Kysely<DB>; dialect: Dialect; now: () => Date; auditKey: Buffer; onBatch?: AuditBatchObserver }): AuditRecorder {
  const hashOf = keyedHasher(deps.auditKey);

  /** The entries as rows with ids from `firstId`, chained from `prevHash`; times taken now. */
  function chained(events: readonly AuditEvent[], firstId: number, prevHash: string): AuditRow[] {
    const at = deps.now().toISOString();
    return events.map((event, i) => {
      const entry = toRow(event, firstId + i, at, prevHash);
      const row = { ...entry, hash: hashOf(entry) };
      prevHash = row.hash;
      return row;
    });
  }

  async function appendAll(trx: Executor, events: readonly AuditEvent[]): Promise<void> {
    const claim = await claimAuditIds(trx, deps.dialect, events.length);
    if (claim.isolation !== null && claim.isolation !== 'read committed') {
      throw new Error(`audit entries must be recorded in a READ COMMITTED transaction, not ${claim.isolation}`);
    }
    // Taken after the head lock, so times follow ids.
    const rows = chained(events, claim.firstId, claim.prevHash);
    await insertAuditEntries(trx, rows);
    await setAuditHeadHash(trx, (rows[rows.length - 1] as AuditRow).hash);
  }

  // PostgreSQL's group commit appends optimistically: chained after the head as this replica last
  // saw it, written only if the head is still there (one statement, no transaction held open);
  // when another replica or a write moved it, the same statement's answer names the head it saw and
  // the batch is re-chained on that (no extra round trip to read it).
  let seenHead: AuditHead | undefined;
  async function appendBatchPostgres(db: Kysely<DB>, events: readonly AuditEvent[]): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        const head = seenHead ?? (await readAuditHead(db));
        if (!head) throw new Error('the audit chain head (audit_head row 1) is missing');
        // Taken after the head was read, so times follow ids.
        const rows = chained(events, head.lastId + 1, head.lastHash);
        const last = rows[rows.length - 1] as AuditRow;
        const outcome = await appendAuditRowsIfHeadIs(db, head, rows);
        if (outcome.appended) {
          seenHead = { lastId: last.id, lastHash: last.hash };
          return;
        }
        // The head the statement saw, if it is past the one just tried (the move may have committed
        // mid-statement, unseen by it); else it is read afresh.
        seenHead = outcome.head && outcome.head.lastId > head.lastId ? outcome.head : undefined;
      } catch (err) {
        seenHead = undefined;
        throw err;
      }
    }
    throw new Error(`the audit chain head moved under ${MAX_ATTEMPTS} attempts in a row to append ${events.length} entries; they were not stored`);
  }

  const groupDb = deps.groupCommitDb ?? deps.db;
  const appendBatch = (events: readonly AuditEvent[]): Promise<void> =>
    deps.dialect === 'postgres' ? appendBatchPostgres(groupDb, events) : groupDb.transaction().execute((trx) => appendAll(trx, events));

  let queue: Pending[] = [];
  let committing = false;
  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        await appendBatch(batch.map((p) => p.event));
        deps.onBatch?.(batch.length, (performance.now() - (batch[0] as Pending).queuedAt) / 1000);
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    committing = false;
  }

  return {
    record: (db, event) => (db.isTransaction ? appendAll(db, [event]) : db.transaction().execute((trx) => appendAll(trx, [event]))),
    append: (event) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ event, queuedAt: performance.now(), resolve, reject });
        // The first entry waits one loop turn, so the reads answered in the same turn join it (on
        // SQLite a whole read runs without yielding to the loop).
        if (!committing) {
          committing = true;
          setImmediate(() => void drain());
        }
      }),
  };
}

function toRow(event: AuditEvent, id: number, at: string, prevHash: string): Omit<AuditRow, 'hash'> {
  return {
    id,
    at,
    actor_user_id: event.actor?.userId ?? null,
    actor_email: event.actor?.email ?? null,
    key_id: event.actor?.keyId ?? null,
    action: event.action,
    project_id: event.project?.id ?? null,
    project_slug: event.project?.slug ?? null,
    environment: event.environment,
    keys: event.keys === undefined || event.keys.length === 0 ? '[]' : JSON.stringify([...new Set(event.keys)].sort()),
    details: canonicalDetails(event.details),
    ip: clip(event.client.ip, 100),
    user_agent: clip(event.client.userAgent, 500),
    command: clip(event.client.command, 200),
    prev_hash: prevHash,
  };
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor_email,
    keyId: row.key_id,
    action: row.action as AuditEntry['action'],
    project: row.project_slug,
    environment: row.environment as AuditEntry['environment'],
    keys: parseJson<string[]>(row.keys, []),
    details: parseJson<AuditEntry['details']>(row.details, {}),
    ip: row.ip,
    userAgent: row.user_agent,
    command: row.command,
  };
}

/** Creates the service that reads a project's audit log. */
export function createAuditService(deps: ServiceDeps) {
  return {
    /** The project's entries matching the query, newest first; any member may read, service tokens may not. */
    async list(auth: AuthContext, slug: string, query: AuditQuery): Promise<{ entries: AuditEntry[]; next: number | null }> {
      requirePersonalKey(auth.service);
      const scope = await requireProjectScope(deps.db, auth, slug);
      authorize(scope, 'read-audit');
      const rows = await listAuditEntries(deps.db, {
        projectId: scope.project.id,
        environment: query.environment,
        actorEmail: query.actor,
        action: query.action,
        since: query.since === undefined ? undefined : new Date(query.since).toISOString(),
        until: query.until === undefined ? undefined : new Date(query.until).toISOString(),
        beforeId: query.before,
        // One more than asked: whether another page follows.
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { entries: page.map(toEntry), next: rows.length > query.limit && last ? last.id : null };
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
