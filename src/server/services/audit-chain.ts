import { createHash, createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { auditEntriesAfter, auditIdsWithHash, readAuditHead, setAuditHeadHash, type AuditRow } from '../store/audit-store.js';
import { getMeta, META_AUDIT_CHAIN, setMeta } from '../store/meta-store.js';
import { GENESIS_HASH } from '../store/migrations/0003-audit.js';
import type { Executor } from '../store/schema.js';

// The audit log's chain: each entry's hash is an HMAC-SHA256, under a key derived from the master
// key (DerivedKeys.auditKey), of the previous entry's hash and every other stored column, so
// neither an edit nor a re-computed chain verifies without the master key.
//
// hash = HMAC-SHA256-hex(auditKey, prev_hash || canonical JSON of the other columns, id and at
// included), where canonical JSON is JSON.stringify of an object with the keys sorted and the values
// exactly as stored (keys and details are JSON text). The first entry's prev_hash is 64 zeros.
// Chains written before the chain was keyed used plain SHA-256 over the same input; such a chain
// is verified and re-keyed once, at the first start with the master key (upgradeAuditChain).

export { GENESIS_HASH };

/** The value of meta.audit_chain once the chain is keyed. */
export const KEYED_CHAIN = 'hmac-sha256-v1';

/** Computes the hash an entry must carry. */
export type EntryHasher = (row: Omit<AuditRow, 'hash'>) => string;

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
  /** False for a chain written before keying that no server has upgraded yet (verified with SHA-256). */
  keyed: boolean;
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

const PAGE = 1000;

function canonical(row: Omit<AuditRow, 'hash'>): string {
  const fields: Record<string, string | number | null> = {};
  for (const column of HASHED_COLUMNS) fields[column] = row[column];
  return JSON.stringify(fields);
}

/** The keyed hash of an entry. */
export function keyedHasher(auditKey: Buffer): EntryHasher {
  return (row) => createHmac('sha256', auditKey).update(row.prev_hash).update(canonical(row)).digest('hex');
}

/** The unkeyed SHA-256 of chains written before keying. */
export const legacyHasher: EntryHasher = (row) => createHash('sha256').update(row.prev_hash).update(canonical(row)).digest('hex');

/** Whether the stored chain is keyed (an instance initialised since, or upgraded by a server start). */
export async function isChainKeyed(db: Executor): Promise<boolean> {
  return (await getMeta(db, META_AUDIT_CHAIN)) === KEYED_CHAIN;
}

/** Marks a fresh (empty) chain as keyed; `krypt server init` calls it. */
export async function markChainKeyed(db: Executor): Promise<void> {
  await setMeta(db, META_AUDIT_CHAIN, KEYED_CHAIN);
}

/**
 * Walks the whole log by id and lists every problem: an entry whose contents no longer match its
 * hash (edited), missing ids (deleted), an entry linking to another than its predecessor
 * (reordered), and a chain head that disagrees with the last entry (trailing entries deleted).
 */
export async function walkAuditChain(db: Executor, hashOf: EntryHasher): Promise<Omit<AuditVerification, 'keyed'>> {
  const problems: AuditProblem[] = [];
  let entries = 0;
  let prev = { id: 0, hash: GENESIS_HASH, intact: true };
  for (;;) {
    const page = await auditEntriesAfter(db, prev.id, PAGE);
    for (const row of page) {
      entries += 1;
      const intact = hashOf(row) === row.hash;
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
    if (page.length < PAGE) break;
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

/** Verifies the stored chain with the audit key (or, not yet keyed, with the legacy SHA-256). */
export async function verifyAuditChain(db: Executor, auditKey: Buffer): Promise<AuditVerification> {
  const keyed = await isChainKeyed(db);
  return { ...(await walkAuditChain(db, keyed ? keyedHasher(auditKey) : legacyHasher)), keyed };
}

/**
 * Rewrites every entry's prev_hash and hash under `to`, in id order, and moves the head; the caller
 * runs it in the transaction that holds the head lock, after verifying the chain under the old hasher.
 */
async function rehashAll(trx: Executor, to: EntryHasher): Promise<number> {
  let prevHash = GENESIS_HASH;
  let afterId = 0;
  let count = 0;
  for (;;) {
    const page = await auditEntriesAfter(trx, afterId, PAGE);
    for (const row of page) {
      const { hash: _old, ...rest } = row;
      const hash = to({ ...rest, prev_hash: prevHash });
      await trx.updateTable('audit_log').set({ prev_hash: prevHash, hash }).where('id', '=', row.id).execute();
      prevHash = hash;
      afterId = row.id;
      count += 1;
    }
    if (page.length < PAGE) break;
  }
  await setAuditHeadHash(trx, prevHash);
  return count;
}

/** Takes the chain head's lock for the rest of the transaction (appends wait behind it). */
async function lockHead(trx: Executor): Promise<void> {
  await sql`UPDATE audit_head SET last_id = last_id WHERE id = 1`.execute(trx);
}

/**
 * `krypt server rotate-key`, inside its transaction: verifies the chain under the old key (or the
 * legacy hash) and re-keys it under the new one. A broken chain is not re-keyed (that would
 * launder the tampering): the verification is returned with ok false and nothing is rewritten.
 */
export async function rekeyAuditChain(trx: Executor, oldAuditKey: Buffer, newAuditKey: Buffer): Promise<AuditVerification> {
  await lockHead(trx);
  const before = await verifyAuditChain(trx, oldAuditKey);
  if (!before.ok) return before;
  await rehashAll(trx, keyedHasher(newAuditKey));
  await markChainKeyed(trx);
  return before;
}

/** What upgradeAuditChain did at start-up. */
export type ChainUpgrade = { upgraded: false } | { upgraded: true; entries: number; previous: Omit<AuditVerification, 'keyed'> };

/**
 * At start-up with the master key: a chain written before keying is verified with the legacy
 * SHA-256, then re-keyed in one transaction (replicas starting together upgrade it once: the
 * second waits for the head lock and finds it done). A legacy chain that was already broken is
 * re-keyed too, so the server can start, and the result says where it was broken; the caller logs
 * it and records it in the log itself.
 */
export async function upgradeAuditChain(db: Executor, auditKey: Buffer): Promise<ChainUpgrade> {
  if (await isChainKeyed(db)) return { upgraded: false };
  return db.transaction().execute(async (trx) => {
    await lockHead(trx);
    if (await isChainKeyed(trx)) return { upgraded: false };
    const previous = await walkAuditChain(trx, legacyHasher);
    const entries = await rehashAll(trx, keyedHasher(auditKey));
    await markChainKeyed(trx);
    return { upgraded: true, entries, previous };
  });
}
