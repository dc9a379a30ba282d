import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Invite, Role } from '../../contract/index.js';
import { generateInviteCode, hashApiToken, INVITE_PREFIX } from '../crypto/api-token.js';
import { insertMembership } from '../store/projects-store.js';
import { deleteOpenInvites, findInviteByHash, findMemberByEmail, insertInvite, markInviteUsed } from '../store/members-store.js';
import type { DB } from '../store/schema.js';
import { findUserByEmail, insertUser } from '../store/users-store.js';
import { authorize, requireProjectScope } from './access.js';
import { issueApiKey } from './api-keys-service.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuthContext, type ClientInfo, type ServiceDeps } from './service-deps.js';

export const DEFAULT_INVITE_SECONDS = 7 * 24 * 3600;
const INVALID_CODE = 'invite code is invalid, used or expired';

type AssignableRole = Invite['role'];

/** Creates the service for one-time invites: issuing codes and redeeming them. */
export function createInvitesService(deps: ServiceDeps) {
  const transaction = <T>(fn: (trx: Transaction<DB>) => Promise<T>) => deps.db.transaction().execute(fn);

  return {
    /** Issues a one-time code for `email` with `role` (Owner/Admin); the code is returned only here. */
    async create(auth: AuthContext, slug: string, body: { email: string; role: AssignableRole; expiresInSeconds?: number | undefined }) {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'manage-members');
        if (await findMemberByEmail(trx, scope.project.id, body.email)) {
          throw new ServiceError('conflict', `${body.email} is already a member of project "${slug}"`);
        }
        const now = deps.now();
        const { code, hash } = generateInviteCode();
        const row = {
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
        await deleteOpenInvites(trx, scope.project.id, body.email);
        await insertInvite(trx, row);
        await deps.audit.record(trx, {
          ...auditActor(auth),
          action: 'member.invite',
          project: scope.audit,
          environment: null,
          details: { email: body.email, role: body.role, inviteId: row.id, expiresAt: row.expires_at },
        });
        const invite: Invite = {
          id: row.id,
          email: row.email,
          role: body.role,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          invitedBy: auth.user.email,
        };
        return { invite, code };
      });
    },

    /**
     * Redeems a code (no API key needed: the code is the credential): creates the user if new,
     * adds the membership, marks the code used and issues a personal API key.
     */
    async redeem(client: ClientInfo, body: { code: string; name?: string | undefined }) {
      return transaction(async (trx) => {
        const now = deps.now();
        const invite = body.code.startsWith(INVITE_PREFIX) ? await findInviteByHash(trx, hashApiToken(body.code)) : undefined;
        if (!invite || invite.used_at !== null || Date.parse(invite.expires_at) <= now.getTime()) {
          throw new ServiceError('unauthorized', INVALID_CODE);
        }
        let user = await findUserByEmail(trx, invite.email);
        if (!user) {
          user = { id: randomUUID(), email: invite.email, name: body.name ?? invite.email.split('@')[0] ?? invite.email, created_at: now.toISOString() };
          await insertUser(trx, user);
        }
        if (!(await markInviteUsed(trx, invite.id, now.toISOString(), user.id))) throw new ServiceError('unauthorized', INVALID_CODE);
        if (await findMemberByEmail(trx, invite.project_id, invite.email)) {
          throw new ServiceError('conflict', `${invite.email} is already a member of project "${invite.project_slug}"`);
        }
        await insertMembership(trx, { project_id: invite.project_id, user_id: user.id, role: invite.role, created_at: now.toISOString() });
        const { key, token } = await issueApiKey(trx, user.id, `invite:${invite.project_slug}`, now);
        await deps.audit.record(trx, {
          actor: { userId: user.id, email: user.email, keyId: key.id },
          client,
          action: 'member.join',
          project: { id: invite.project_id, slug: invite.project_slug },
          environment: null,
          details: { email: user.email, role: invite.role, inviteId: invite.id },
        });
        return {
          user: { id: user.id, email: user.email, name: user.name },
          token,
          project: invite.project_slug,
          role: invite.role as Role,
        };
      });
    },
  };
}
export type InvitesService = ReturnType<typeof createInvitesService>;
