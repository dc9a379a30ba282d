import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Invite, Role } from '../../contract/index.js';
import { generateInviteCode, hashApiToken, INVITE_PREFIX } from '../crypto/api-token.js';
import { insertMembership } from '../store/projects-store.js';
import {
  deleteInvite,
  deleteOpenInvites,
  findInviteByHash,
  findMemberByEmail,
  findOpenInvite,
  findRole,
  insertInvite,
  listOpenInvites,
  markInviteUsed,
  type InviteRow,
} from '../store/members-store.js';
import type { DB, Executor } from '../store/schema.js';
import { findUserByEmail, insertUser, type UserRow } from '../store/users-store.js';
import { authorize, requireProjectScope } from './access.js';
import { issueApiKey } from './api-keys-service.js';
import { requirePersonalKey } from './policy.js';
import type { SessionsService, StartedSession } from './sessions-service.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuditEvent, type AuthContext, type ClientInfo, type ServiceDeps } from './service-deps.js';

export const DEFAULT_INVITE_SECONDS = 7 * 24 * 3600;
const INVALID_CODE = 'invite code is invalid, used or expired';
const MANAGERS = new Set(['owner', 'admin']);

type AssignableRole = Invite['role'];
/** A new account made by redeeming an invite, with its first API key. */
interface Redeemed {
  user: { id: string; email: string; name: string };
  token: string;
  project: string;
  role: Role;
}
type FoundInvite = InviteRow & { project_slug: string };

/** The contract's view of a pending invite. */
function toInvite(row: InviteRow, invitedBy: string): Invite {
  return { id: row.id, email: row.email, role: row.role as AssignableRole, createdAt: row.created_at, expiresAt: row.expires_at, invitedBy };
}

/**
 * Creates the service for one-time invites. A code redeemed without authentication may only create
 * a NEW account; an invite for an email that has an account is accepted by that account, signed in
 * as itself. An invite works only while whoever issued it may still invite to the project.
 */
export function createInvitesService(deps: ServiceDeps, sessions: Pick<SessionsService, 'start'>) {
  const transaction = <T>(fn: (trx: Transaction<DB>) => Promise<T>) => deps.db.transaction().execute(fn);

  /** The invite a code names, if it can still be used; `refused` is the error to throw otherwise. */
  async function usableInvite(trx: Executor, code: string, refused: () => ServiceError): Promise<FoundInvite> {
    const invite = code.startsWith(INVITE_PREFIX) ? await findInviteByHash(trx, hashApiToken(code)) : undefined;
    if (!invite || invite.used_at !== null || Date.parse(invite.expires_at) <= deps.now().getTime()) throw refused();
    const issuerRole = await findRole(trx, invite.project_id, invite.created_by);
    if (issuerRole === undefined || !MANAGERS.has(issuerRole)) {
      throw new ServiceError(
        'forbidden',
        `this invite to project "${invite.project_slug}" was issued by someone who can no longer invite; ask an owner or admin for a new one`,
      );
    }
    return invite;
  }

  /** Adds the membership, marks the code used and records the join, all in `trx`. */
  async function join(trx: Executor, invite: FoundInvite, user: UserRow, actor: AuditEvent['actor'], client: ClientInfo, via: 'new-account' | 'accept') {
    const now = deps.now().toISOString();
    // Someone else used the code between our read and this update.
    if (!(await markInviteUsed(trx, invite.id, now, user.id))) throw new ServiceError(via === 'accept' ? 'not_found' : 'unauthorized', INVALID_CODE);
    if (await findMemberByEmail(trx, invite.project_id, invite.email)) {
      throw new ServiceError('conflict', `${invite.email} is already a member of project "${invite.project_slug}"`);
    }
    await insertMembership(trx, { project_id: invite.project_id, user_id: user.id, role: invite.role, created_at: now });
    await deps.audit.record(trx, {
      actor,
      client,
      action: 'member.join',
      project: { id: invite.project_id, slug: invite.project_slug },
      environment: null,
      details: { email: user.email, role: invite.role, inviteId: invite.id, via },
    });
    await deps.outbox.enqueue(trx, { topic: 'member.joined', project: { id: invite.project_id, slug: invite.project_slug }, email: user.email, role: invite.role });
  }

  return {
    /**
     * Issues a one-time code for `email` with `role` (Owner/Admin); the code is returned only here
     * and in the invitee's email, whose links use `origin` (this server as the inviter reached it)
     * unless the operator set a public URL.
     */
    async create(auth: AuthContext, slug: string, body: { email: string; role: AssignableRole; expiresInSeconds?: number | undefined }, origin?: string) {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'manage-members');
        if (await findMemberByEmail(trx, scope.project.id, body.email)) {
          throw new ServiceError('conflict', `${body.email} is already a member of project "${slug}"`);
        }
        const now = deps.now();
        const { code, hash } = generateInviteCode();
        const row: InviteRow = {
          id: randomUUID(),
          project_id: scope.project.id,
          email: body.email,
          role: body.role,
          code_hash: hash,
          created_at: now.toISOString(),
          created_by: auth.user.id,
          expires_at: new Date(now.getTime() + (body.expiresInSeconds ?? DEFAULT_INVITE_SECONDS) * 1000).toISOString(),
          used_at: null,
          used_by: null,
        };
        // Re-issuing replaces the older code: only the newest invite for a person works.
        await deleteOpenInvites(trx, scope.project.id, body.email);
        await insertInvite(trx, row);
        await deps.audit.record(trx, {
          ...auditActor(auth),
          action: 'member.invite',
          project: scope.audit,
          environment: null,
          details: { email: body.email, role: body.role, inviteId: row.id, expiresAt: row.expires_at },
        });
        await deps.outbox.enqueue(
          trx,
          { topic: 'invite', project: scope.audit, to: body.email, role: body.role, invitedBy: auth.user.email, code, expiresAt: row.expires_at },
          origin,
        );
        return { invite: toInvite(row, auth.user.email), code };
      });
    },

    /** Pending invites of a project; any member may look. */
    async list(auth: AuthContext, slug: string): Promise<{ invites: Invite[] }> {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'list');
        const rows = await listOpenInvites(trx, scope.project.id, deps.now().toISOString());
        return { invites: rows.map((r) => toInvite(r, r.invited_by_email ?? r.created_by)) };
      });
    },

    /** Revokes a pending invite (Owner/Admin): its code stops working at once. */
    async revoke(auth: AuthContext, slug: string, id: string): Promise<void> {
      await transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'manage-members');
        const invite = await findOpenInvite(trx, scope.project.id, id);
        if (!invite) throw new ServiceError('not_found', `no pending invite "${id}" in project "${slug}"`);
        await deleteInvite(trx, invite.id);
        await deps.audit.record(trx, {
          ...auditActor(auth),
          action: 'member.invite_revoke',
          project: scope.audit,
          environment: null,
          details: { email: invite.email, role: invite.role, inviteId: invite.id },
        });
      });
    },

    /**
     * Redeems a code without authentication (the code is the credential): creates a NEW account
     * for the invited email, adds the membership and issues its first personal API key. An email
     * that already has an account is refused and the code stays usable: that account accepts it
     * while signed in (accept below), so holding a code never yields a key for someone else.
     * With `session`, the new account gets a browser session (`started`) instead of an API key.
     */
    async redeem(
      client: ClientInfo,
      body: { code: string; name?: string | undefined; session?: boolean | undefined },
    ): Promise<Redeemed | (Omit<Redeemed, 'token'> & { started: StartedSession })> {
      return transaction(async (trx) => {
        const invite = await usableInvite(trx, body.code, () => new ServiceError('unauthorized', INVALID_CODE));
        if (await findUserByEmail(trx, invite.email)) {
          throw new ServiceError(
            'conflict',
            `${invite.email} already has a Krypt account: sign in as that account and accept the invite there (krypt invites accept CODE)`,
          );
        }
        const now = deps.now().toISOString();
        const user: UserRow = { id: randomUUID(), email: invite.email, name: body.name ?? invite.email.split('@')[0] ?? invite.email, created_at: now };
        await insertUser(trx, user);
        const joined = { user: { id: user.id, email: user.email, name: user.name }, project: invite.project_slug, role: invite.role as Role };
        if (body.session) {
          await join(trx, invite, user, { userId: user.id, email: user.email, keyId: null }, client, 'new-account');
          return { ...joined, started: await sessions.start(trx, user, client, 'invite') };
        }
        const { key, token } = await issueApiKey(trx, user.id, `invite:${invite.project_slug}`, deps.now());
        await join(trx, invite, user, { userId: user.id, email: user.email, keyId: key.id }, client, 'new-account');
        return { ...joined, token };
      });
    },

    /** Accepts an invite as the signed-in account it was issued to; issues no credential. */
    async accept(auth: AuthContext, body: { code: string }): Promise<{ project: string; role: Role }> {
      requirePersonalKey(auth.service);
      return transaction(async (trx) => {
        const invite = await usableInvite(trx, body.code, () => new ServiceError('not_found', INVALID_CODE));
        if (invite.email !== auth.user.email) {
          throw new ServiceError('forbidden', `this invite is for ${invite.email}, but you are signed in as ${auth.user.email}`);
        }
        const user = await findUserByEmail(trx, auth.user.email);
        if (!user) throw new ServiceError('unauthorized', 'invalid or expired API key');
        await join(trx, invite, user, auditActor(auth).actor, auth.client, 'accept');
        return { project: invite.project_slug, role: invite.role as Role };
      });
    },
  };
}
export type InvitesService = ReturnType<typeof createInvitesService>;
