import { sql, type Insertable, type Selectable } from 'kysely';
import { compiledOnce, compiledOnceForList } from './compiled-once.js';
import type { AuditLogTable, Dialect, Executor } from './schema.js';

// SQL access for the hash-chained audit log. Hashing and chain rules live in audit-service.

/** An audit row with its id as a number on both dialects. */
export type AuditRow = Omit<Selectable<AuditLogTable>, 'id'> & { id: number };

export interface AuditHead {
  lastId: number;
  lastHash: string;
}

export interface AuditListFilter {
  projectId: string;
  environment?: string | undefined;
  actorEmail?: string | undefined;
  action?: string | undefined;
  /** ISO-8601 UTC (…Z): entries at or after it. */
  since?: string | undefined;
  /** ISO-8601 UTC (…Z): entries before it. */
  until?: string | undefined;
  /** Entries with a smaller id (paging). */
  beforeId?: number | undefined;
  limit: number;
}

function toRow(row: Selectable<AuditLogTable>): AuditRow {
  return { ...row, id: Number(row.id) };
}

/**
 * Claims the next `count` entry ids: bumps the head's last_id by `count` and returns the first new
 * id with the hash of the entry before it. The UPDATE holds the head row's lock (PostgreSQL) or the
 * write lock (SQLite) until the caller's transaction ends, so appends serialise. On PostgreSQL it
 * also reports the transaction's isolation level: only READ COMMITTED reads the head fresh after
 * waiting for it.
 */
export async function claimAuditIds(
  db: Executor,
  dialect: Dialect,
  count = 1,
): Promise<{ firstId: number; prevHash: string; isolation: string | null }> {
  if (dialect === 'postgres') {
    const [row] = await claimWithIsolation(db, count);
    if (!row) throw headMissing();
    return { firstId: Number(row.last_id) - count + 1, prevHash: row.last_hash, isolation: row.isolation };
  }
  const [row] = await claim(db, count);
  if (!row) throw headMissing();
  return { firstId: Number(row.last_id) - count + 1, prevHash: row.last_hash, isolation: null };
}

// The statements of every append, compiled once (see compiledOnce): Kysely's builder cost ~6 % of
// the server's CPU on a bulk read, most of it the multi-row insert of a group commit.
const claimQuery = (db: Executor, count: number) =>
  db
    .updateTable('audit_head')
    .set({ last_id: sql<number>`last_id + ${count}` })
    .where('id', '=', sql.lit(1))
    .returning(['last_id', 'last_hash']);
const claim = compiledOnce(claimQuery);
const claimWithIsolation = compiledOnce((db: Executor, count: number) =>
  claimQuery(db, count).returning(sql<string>`current_setting('transaction_isolation')`.as('isolation')),
);
const setHeadHash = compiledOnce((db: Executor, hash: string) => db.updateTable('audit_head').set({ last_hash: hash }).where('id', '=', sql.lit(1)));

function headMissing(): Error {
  return new Error('the audit chain head (audit_head row 1) is missing');
}

export async function setAuditHeadHash(db: Executor, hash: string): Promise<void> {
  await setHeadHash(db, hash);
}

export async function readAuditHead(db: Executor): Promise<AuditHead | undefined> {
  const row = await db.selectFrom('audit_head').select(['last_id', 'last_hash']).where('id', '=', 1).executeTakeFirst();
  return row ? { lastId: Number(row.last_id), lastHash: row.last_hash } : undefined;
}

// Rows per INSERT: 16 columns each, well under SQLite's bound-parameter limit.
const INSERT_CHUNK = 200;

const AUDIT_COLUMNS = [
  'id', 'at', 'actor_user_id', 'actor_email', 'key_id', 'action', 'project_id', 'project_slug',
  'environment', 'keys', 'details', 'ip', 'user_agent', 'command', 'prev_hash', 'hash',
] as const satisfies readonly (keyof AuditLogTable)[];
// Every column of the table, or this does not compile: an entry must never be stored without one.
const EVERY_COLUMN: Exclude<keyof AuditLogTable, (typeof AUDIT_COLUMNS)[number]> extends never ? true : never = true;
void EVERY_COLUMN;

// One compiled INSERT per row count (at most INSERT_CHUNK of them), its values row by row, column by column.
const insertsByCount = new Map<number, (db: Executor, cells: readonly unknown[]) => Promise<unknown[]>>();
function insertOf(count: number): (db: Executor, cells: readonly unknown[]) => Promise<unknown[]> {
  let insert = insertsByCount.get(count);
  if (!insert) {
    insert = compiledOnceForList((db, cells) =>
      db.insertInto('audit_log').values(
        Array.from({ length: count }, (_, r) => Object.fromEntries(AUDIT_COLUMNS.map((c, j) => [c, cells[r * AUDIT_COLUMNS.length + j]])) as Insertable<AuditLogTable>),
      ),
    );
    insertsByCount.set(count, insert);
  }
  return insert;
}

/** Inserts entries (in id order), a few hundred per statement. */
export async function insertAuditEntries(db: Executor, rows: readonly AuditRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const cells: unknown[] = [];
    for (const row of chunk) for (const column of AUDIT_COLUMNS) cells.push(row[column]);
    await insertOf(chunk.length)(db, cells);
  }
}

/**
 * PostgreSQL: appends `rows` (the ids right after `head.lastId`, the first linked to
 * `head.lastHash`) and moves the head to the last of them, in one statement that commits on its
 * own, if and only if the head is still `head`. When another replica or a write moved it first
 * (READ COMMITTED re-checks the head row once its lock is free), nothing is written and the
 * answer carries the head as the statement saw it, so the caller can re-chain without another
 * round trip (it may be `head` itself, when the move committed while the statement ran). No
 * transaction stays open across round trips, so the head's lock is held only while PostgreSQL
 * runs the statement. The rows travel as one JSON parameter, typed by the table's own row type.
 */
export async function appendAuditRowsIfHeadIs(db: Executor, head: AuditHead, rows: readonly AuditRow[]): Promise<{ appended: true } | { appended: false; head: AuditHead | undefined }> {
  const last = rows[rows.length - 1];
  if (!last) return { appended: true };
  const result = await sql<{ added: string | number; last_id: string | number; last_hash: string }>`
    WITH moved AS (
      UPDATE audit_head SET last_id = ${last.id}, last_hash = ${last.hash}
      WHERE id = 1 AND last_id = ${head.lastId} AND last_hash = ${head.lastHash}
      RETURNING 1
    ), added AS (
      INSERT INTO audit_log
      SELECT * FROM json_populate_recordset(NULL::audit_log, ${JSON.stringify(rows)}::json)
      WHERE EXISTS (SELECT 1 FROM moved)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM added) AS added, last_id, last_hash FROM audit_head WHERE id = 1`.execute(db);
  const [row] = result.rows;
  if (row && Number(row.added) === rows.length) return { appended: true };
  return { appended: false, head: row ? { lastId: Number(row.last_id), lastHash: row.last_hash } : undefined };
}

/** Up to `limit` entries with id > afterId, oldest first (the verifier's page). */
export async function auditEntriesAfter(db: Executor, afterId: number, limit: number): Promise<AuditRow[]> {
  const rows = await db.selectFrom('audit_log').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
  return rows.map(toRow);
}

/** Ids of entries whose stored hash is `hash` (normally none or one). */
export async function auditIdsWithHash(db: Executor, hash: string): Promise<number[]> {
  const rows = await db.selectFrom('audit_log').select('id').where('hash', '=', hash).orderBy('id').execute();
  return rows.map((r) => Number(r.id));
}

/** A project's entries matching the filter, newest first. */
export async function listAuditEntries(db: Executor, filter: AuditListFilter): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll().where('project_id', '=', filter.projectId);
  if (filter.environment !== undefined) query = query.where('environment', '=', filter.environment);
  if (filter.actorEmail !== undefined) query = query.where('actor_email', '=', filter.actorEmail);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toRow);
}
