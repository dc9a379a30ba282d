import type { Executor, InvitesTable } from './schema.js';

export type InviteRow = InvitesTable;
export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: string;
  created_at: string;
}

function members(db: Executor, projectId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.user_id', 'users.email', 'users.name', 'memberships.role', 'memberships.created_at'])
    .where('memberships.project_id', '=', projectId);
}

/** A project's members, owner first, then by email. */
export async function listMembers(db: Executor, projectId: string): Promise<MemberRow[]> {
  const rows = await members(db, projectId).orderBy('users.email').execute();
  return [...rows.filter((r) => r.role === 'owner'), ...rows.filter((r) => r.role !== 'owner')];
}

export async function findMemberByEmail(db: Executor, projectId: string, email: string): Promise<MemberRow | undefined> {
  return members(db, projectId).where('users.email', '=', email).executeTakeFirst();
}

export async function setMemberRole(db: Executor, projectId: string, userId: string, role: string): Promise<void> {
  await db.updateTable('memberships').set({ role }).where('project_id', '=', projectId).where('user_id', '=', userId).execute();
}

export async function removeMember(db: Executor, projectId: string, userId: string): Promise<void> {
  await db.deleteFrom('memberships').where('project_id', '=', projectId).where('user_id', '=', userId).execute();
}

export async function insertInvite(db: Executor, invite: InviteRow): Promise<void> {
  await db.insertInto('invites').values(invite).execute();
}

/** Drops unused invites for this email, so only the newest code for a person works. */
export async function deleteOpenInvites(db: Executor, projectId: string, email: string): Promise<void> {
  await db.deleteFrom('invites').where('project_id', '=', projectId).where('email', '=', email).where('used_at', 'is', null).execute();
}

/**
 * Pending invites: unused, unexpired, and issued by someone who is still an owner or admin of the
 * project (an invite dies with its issuer's right to invite). With the inviter's email.
 */
export async function listOpenInvites(db: Executor, projectId: string, now: string): Promise<(InviteRow & { invited_by_email: string | null })[]> {
  return db
    .selectFrom('invites')
    .innerJoin('memberships as issuer', (j) => j.onRef('issuer.project_id', '=', 'invites.project_id').onRef('issuer.user_id', '=', 'invites.created_by'))
    .leftJoin('users', 'users.id', 'invites.created_by')
    .selectAll('invites')
    .select('users.email as invited_by_email')
    .where('invites.project_id', '=', projectId)
    .where('invites.used_at', 'is', null)
    .where('invites.expires_at', '>', now)
    .where('issuer.role', 'in', ['owner', 'admin'])
    .orderBy('invites.created_at')
    .execute();
}

/** One unused invite of a project by id. */
export async function findOpenInvite(db: Executor, projectId: string, id: string): Promise<InviteRow | undefined> {
  return db.selectFrom('invites').selectAll().where('project_id', '=', projectId).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
}

export async function deleteInvite(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('invites').where('id', '=', id).execute();
}

/** Drops the unused invites `userId` issued in a project (they lost the right to invite); returns how many. */
export async function deleteOpenInvitesIssuedBy(db: Executor, projectId: string, userId: string): Promise<number> {
  const r = await db.deleteFrom('invites').where('project_id', '=', projectId).where('created_by', '=', userId).where('used_at', 'is', null).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** A user's role in a project, or undefined when they are not a member. */
export async function findRole(db: Executor, projectId: string, userId: string): Promise<string | undefined> {
  const row = await db.selectFrom('memberships').select('role').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role;
}

/** The invite with this code hash and its project's slug. */
export async function findInviteByHash(db: Executor, hash: string): Promise<(InviteRow & { project_slug: string }) | undefined> {
  return db
    .selectFrom('invites')
    .innerJoin('projects', 'projects.id', 'invites.project_id')
    .selectAll('invites')
    .select('projects.slug as project_slug')
    .where('invites.code_hash', '=', hash)
    .executeTakeFirst();
}

/** Marks an invite used; false when someone else used it first. */
export async function markInviteUsed(db: Executor, id: string, at: string, userId: string): Promise<boolean> {
  const r = await db.updateTable('invites').set({ used_at: at, used_by: userId }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
