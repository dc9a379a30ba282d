import type { Executor, SessionsTable, SignInLinksTable, UsersTable } from './schema.js';

// Sign-in links and browser sessions. Codes and tokens arrive here hashed; the services decide
// about expiry and use.

export type SignInLinkRow = SignInLinksTable;
export type SessionRow = SessionsTable;

export async function insertSignInLink(db: Executor, row: SignInLinkRow): Promise<void> {
  await db.insertInto('sign_in_links').values(row).execute();
}

/**
 * Marks the unused, unexpired link with this code hash used and returns its user; undefined when
 * there is none (wrong, used or expired). One UPDATE: two requests racing with one code cannot both win.
 */
export async function consumeSignInLink(db: Executor, codeHash: string, at: string): Promise<UsersTable | undefined> {
  const link = await db
    .updateTable('sign_in_links')
    .set({ used_at: at })
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .returning(['user_id'])
    .executeTakeFirst();
  if (!link) return undefined;
  return db.selectFrom('users').selectAll().where('id', '=', link.user_id).executeTakeFirst();
}

/** Forgets a user's links that can no longer be used (keeps the table small). */
export async function deleteStaleSignInLinks(db: Executor, userId: string, now: string): Promise<void> {
  await db
    .deleteFrom('sign_in_links')
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('used_at', 'is not', null), eb('expires_at', '<=', now)]))
    .execute();
}

/** Forgets a user's sessions that ended (revoked, or past an expiry) before `before`. */
export async function deleteEndedSessions(db: Executor, userId: string, before: string): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('revoked_at', '<', before), eb('expires_at', '<', before), eb('idle_expires_at', '<', before)]))
    .execute();
}

export async function insertSession(db: Executor, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/** The session with this token hash and its user, whatever its state (the caller checks expiry). */
export async function findSessionByTokenHash(db: Executor, tokenHash: string): Promise<{ session: SessionRow; user: UsersTable } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('sessions')
    .select(['users.email as user_email', 'users.name as user_name', 'users.created_at as user_created_at'])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const { user_email, user_name, user_created_at, ...session } = row;
  return { session, user: { id: session.user_id, email: user_email, name: user_name, created_at: user_created_at } };
}

/** Slides the idle expiry forward (never past the absolute one: the caller computes it). */
export async function touchSession(db: Executor, id: string, lastSeenAt: string, idleExpiresAt: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: lastSeenAt, idle_expires_at: idleExpiresAt }).where('id', '=', id).execute();
}

/** The user's sessions still open at `now`, newest first. */
export async function listOpenSessions(db: Executor, userId: string, now: string): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('idle_expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

export async function findSession(db: Executor, userId: string, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
}

/** Ends a session; returns whether it was open until now. */
export async function revokeSession(db: Executor, id: string, at: string): Promise<boolean> {
  const result = await db.updateTable('sessions').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A session's state and its user's role in one project (null when not a member); see findSessionAccess. */
export interface SessionAccessRow {
  session_id: string;
  revoked_at: string | null;
  expires_at: string;
  idle_expires_at: string;
  project_id: string | null;
  role: string | null;
}

// (session, project) pairs per query: at most 1,000 bound parameters, well under SQLite's limit.
const ACCESS_CHUNK = 500;

/**
 * For the sessions and projects of `pairs`: each existing session's state, once per project of
 * those its user belongs to (with the role), or once with a null project when none.
 */
export async function findSessionAccess(db: Executor, pairs: { sessionId: string; projectId: string }[]): Promise<SessionAccessRow[]> {
  const rows: SessionAccessRow[] = [];
  for (let i = 0; i < pairs.length; i += ACCESS_CHUNK) {
    const chunk = pairs.slice(i, i + ACCESS_CHUNK);
    const sessionIds = [...new Set(chunk.map((p) => p.sessionId))];
    const projectIds = [...new Set(chunk.map((p) => p.projectId))];
    rows.push(
      ...(await db
        .selectFrom('sessions')
        .leftJoin('memberships', (join) => join.onRef('memberships.user_id', '=', 'sessions.user_id').on('memberships.project_id', 'in', projectIds))
        .select(['sessions.id as session_id', 'sessions.revoked_at', 'sessions.expires_at', 'sessions.idle_expires_at', 'memberships.project_id', 'memberships.role'])
        .where('sessions.id', 'in', sessionIds)
        .execute()),
    );
  }
  return rows;
}
