import type { ChangeRequestItemsTable, ChangeRequestsTable, Executor } from './schema.js';

export type ChangeRequestRow = ChangeRequestsTable;
export type ChangeRequestItemRow = ChangeRequestItemsTable;
/** A change request with its environment name and the emails of requester and decider. */
export type ChangeRequestView = ChangeRequestRow & {
  environment: string;
  requested_by_email: string | null;
  decided_by_email: string | null;
};

const CHUNK = 500;

/** The next per-project number (the caller holds the environment lock, which serialises creation). */
export async function nextChangeRequestNumber(db: Executor, projectId: string): Promise<number> {
  const row = await db
    .selectFrom('change_requests')
    .select((eb) => eb.fn.max('number').as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return Number(row?.n ?? 0) + 1;
}

export async function insertChangeRequest(db: Executor, row: ChangeRequestRow, items: ChangeRequestItemRow[]): Promise<void> {
  await db.insertInto('change_requests').values(row).execute();
  for (let i = 0; i < items.length; i += CHUNK) {
    await db.insertInto('change_request_items').values(items.slice(i, i + CHUNK)).execute();
  }
}

function views(db: Executor) {
  return db
    .selectFrom('change_requests')
    .innerJoin('environments', 'environments.id', 'change_requests.environment_id')
    .leftJoin('users as requester', 'requester.id', 'change_requests.requested_by')
    .leftJoin('users as decider', 'decider.id', 'change_requests.decided_by')
    .selectAll('change_requests')
    .select(['environments.name as environment', 'requester.email as requested_by_email', 'decider.email as decided_by_email']);
}

/** A project's change requests, newest first, optionally of one status. */
export async function listChangeRequests(db: Executor, projectId: string, status?: string): Promise<ChangeRequestView[]> {
  let q = views(db).where('change_requests.project_id', '=', projectId);
  if (status !== undefined) q = q.where('change_requests.status', '=', status);
  return q.orderBy('change_requests.number', 'desc').execute();
}

export async function findChangeRequest(db: Executor, projectId: string, number: number): Promise<ChangeRequestView | undefined> {
  return views(db).where('change_requests.project_id', '=', projectId).where('change_requests.number', '=', number).executeTakeFirst();
}

/** Items of the given requests, ordered by key. */
export async function listChangeRequestItems(db: Executor, ids: string[]): Promise<ChangeRequestItemRow[]> {
  const out: ChangeRequestItemRow[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    out.push(...(await db.selectFrom('change_request_items').selectAll().where('change_request_id', 'in', chunk).orderBy('key').execute()));
  }
  return out;
}

/** Moves a pending request to its decided state; false when it was no longer pending. */
export async function decideChangeRequest(
  db: Executor,
  id: string,
  decision: { status: string; decided_by: string; decided_at: string; reason: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('change_requests')
    .set(decision)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
