import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { AuditEntry, auditQuerySchema } from '../../contract/index.js';
import {
  auditEntriesAfter,
  auditIdsWithHash,
  claimAuditId,
  insertAuditEntry,
  listAuditEntries,
  readAuditHead,
  setAuditHeadHash,
  type AuditRow,
} from '../store/audit-store.js';
import { GENESIS_HASH } from '../store/migrations/0003-audit.js';
import type { Dialect, Executor } from '../store/schema.js';
import { requireAllowed, requirePersonalKey } from './policy.js';
import { requireProjectAccess } from './projects-service.js';
import type { AuditEvent, AuditRecorder, AuthContext, ServiceDeps } from './service-deps.js';

// The append-only, hash-chained audit log: recording (inside the audited transaction), reading
// a project's entries, and verifying the chain.
//
// hash = SHA-256 hex of (prev_hash || canonical JSON of every other stored column, id and at
// included), where canonical JSON is JSON.stringify of an object with the keys sorted and the
// values exactly as stored (keys and details are JSON text). The first entry's prev_hash is
// 64 zeros. Ids are claimed from the chain head, so they run 1, 2, 3… with no gaps.

export { GENESIS_HASH };

export type AuditQuery = z.output<typeof auditQuerySchema>;

/** One problem found in the chain, at the entry id where it shows. */
export interface AuditProblem {
  id: number;
  kind: 'edited' | 'deleted' | 'reordered' | 'head-mismatch';
  message: string;
}

/** Result of walking the whole chain; ok when no problem was found. */
export interface AuditVerification {
  ok: boolean;
  /** Entries present in the log. */
  entries: number;
  problems: AuditProblem[];
}

const HASHED_COLUMNS = [
  'action',
  'actor_email',
  'actor_user_id',
  'at',
  'command',
  'details',
  'environment',
  'id',
  'ip',
  'key_id',
  'keys',
  'project_id',
  'project_slug',
  'user_agent',
] as const satisfies readonly (keyof AuditRow)[];

const VERIFY_PAGE = 1000;

/** The SHA-256 (hex) an entry must carry, from its stored columns and prev_hash. */
export function auditEntryHash(row: Omit<AuditRow, 'hash'>): string {
  const fields: Record<string, string | number | null> = {};
  for (const column of HASHED_COLUMNS) fields[column] = row[column];
  return createHash('sha256').update(row.prev_hash).update(JSON.stringify(fields)).digest('hex');
}

function clip(text: string | null, max: number): string | null {
  return text === null ? null : text.slice(0, max);
}

function canonicalDetails(details: AuditEvent['details']): string {
  const sorted: Record<string, string | number | boolean | null> = {};
  for (const k of Object.keys(details ?? {}).sort()) sorted[k] = (details ?? {})[k] ?? null;
  return JSON.stringify(sorted);
}

/**
 * The recorder services call. record() appends inside the given transaction (or its own, when
 * handed the root handle). On PostgreSQL that transaction must be READ COMMITTED: under
 * REPEATABLE READ the head would be read from a stale snapshot (PostgreSQL refuses with a
 * serialization failure), so audit a snapshot read after it, with the root handle.
 */
export function createAuditRecorder(deps: { dialect: Dialect; now: () => Date }): AuditRecorder {
  async function append(trx: Executor, event: AuditEvent): Promise<void> {
    const claim = await claimAuditId(trx, deps.dialect);
    if (claim.isolation !== null && claim.isolation !== 'read committed') {
      throw new Error(`audit entries must be recorded in a READ COMMITTED transaction, not ${claim.isolation}`);
    }
    const entry: Omit<AuditRow, 'hash'> = {
      id: claim.id,
      // Taken after the head lock, so times follow ids.
      at: deps.now().toISOString(),
      actor_user_id: event.actor?.userId ?? null,
      actor_email: event.actor?.email ?? null,
      key_id: event.actor?.keyId ?? null,
      action: event.action,
      project_id: event.project?.id ?? null,
      project_slug: event.project?.slug ?? null,
      environment: event.environment,
      keys: JSON.stringify([...new Set(event.keys ?? [])].sort()),
      details: canonicalDetails(event.details),
      ip: clip(event.client.ip, 100),
      user_agent: clip(event.client.userAgent, 500),
      command: clip(event.client.command, 200),
      prev_hash: claim.prevHash,
    };
    const hash = auditEntryHash(entry);
    await insertAuditEntry(trx, { ...entry, hash });
    await setAuditHeadHash(trx, hash);
  }
  return {
    record: (db, event) => (db.isTransaction ? append(db, event) : db.transaction().execute((trx) => append(trx, event))),
  };
}

/**
 * Walks the whole log by id and lists every problem: an entry whose contents no longer match its
 * hash (edited), missing ids (deleted), an entry linking to another than its predecessor
 * (reordered), and a chain head that disagrees with the last entry (trailing entries deleted).
 */
export async function verifyAuditChain(db: Executor): Promise<AuditVerification> {
  const problems: AuditProblem[] = [];
  let entries = 0;
  let prev = { id: 0, hash: GENESIS_HASH, intact: true };
  for (;;) {
    const page = await auditEntriesAfter(db, prev.id, VERIFY_PAGE);
    for (const row of page) {
      entries += 1;
      const intact = auditEntryHash(row) === row.hash;
      if (!intact) problems.push({ id: row.id, kind: 'edited', message: `entry ${row.id} was edited: its contents do not match its hash` });
      if (row.id !== prev.id + 1) {
        const first = prev.id + 1;
        const range = first === row.id - 1 ? `entry ${first} is` : `entries ${first}–${row.id - 1} are`;
        problems.push({ id: first, kind: 'deleted', message: `${range} missing: deleted from the log` });
      } else if (row.prev_hash !== prev.hash && intact && prev.intact) {
        problems.push(await brokenLink(db, row, prev.id));
      }
      prev = { id: row.id, hash: row.hash, intact };
    }
    if (page.length < VERIFY_PAGE) break;
  }
  const head = await readAuditHead(db);
  if (!head) {
    problems.push({ id: prev.id, kind: 'head-mismatch', message: 'the audit chain head is missing' });
  } else if (head.lastId > prev.id) {
    const first = prev.id + 1;
    const range = first === head.lastId ? `entry ${first} was` : `entries ${first}–${head.lastId} were`;
    problems.push({ id: first, kind: 'head-mismatch', message: `the chain head ends at entry ${head.lastId}: ${range} deleted` });
  } else if (head.lastId < prev.id) {
    problems.push({ id: prev.id, kind: 'head-mismatch', message: `entries after ${head.lastId} were added outside the chain` });
  } else if (head.lastHash !== prev.hash) {
    problems.push({ id: prev.id, kind: 'head-mismatch', message: `entry ${prev.id} does not match the chain head: it was rewritten` });
  }
  // Ascending by id (stable), so problems[0] is the first broken link.
  problems.sort((a, b) => a.id - b.id);
  return { ok: problems.length === 0, entries, problems };
}

// Both entries hash correctly, yet the later one names another predecessor: either it was moved
// here from elsewhere in the chain, or its predecessor was rewritten with a recomputed hash.
async function brokenLink(db: Executor, row: AuditRow, prevId: number): Promise<AuditProblem> {
  const linked = (await auditIdsWithHash(db, row.prev_hash)).filter((id) => id !== prevId);
  if (linked.length > 0) {
    return { id: row.id, kind: 'reordered', message: `entry ${row.id} follows entry ${linked[0]}, not entry ${prevId}: entries were reordered` };
  }
  if (prevId === 0) {
    return { id: row.id, kind: 'edited', message: `entry ${row.id} does not start from the genesis hash: it was rewritten` };
  }
  return { id: prevId, kind: 'edited', message: `entry ${prevId} was rewritten: entry ${row.id} recorded a different hash for it` };
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
    async list(auth: AuthContext, slug: string, query: AuditQuery): Promise<{ entries: AuditEntry[] }> {
      requirePersonalKey(auth.service);
      const access = await requireProjectAccess(deps.db, auth, slug);
      requireAllowed({ role: access.role, service: auth.service }, 'read-audit', { projectId: access.project.id });
      const rows = await listAuditEntries(deps.db, {
        projectId: access.project.id,
        environment: query.environment,
        actorEmail: query.actor,
        since: query.since === undefined ? undefined : new Date(query.since).toISOString(),
        limit: query.limit,
      });
      return { entries: rows.map(toEntry) };
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
