import type { Transaction } from 'kysely';
import type { Member, Role } from '../../contract/index.js';
import { deleteOpenInvitesIssuedBy, findMemberByEmail, listMembers, listOpenInvites, removeMember, setMemberRole, type MemberRow } from '../store/members-store.js';
import type { DB, Executor } from '../store/schema.js';
import { authorize, requireProjectScope, type ProjectScope } from './access.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuthContext, type ServiceDeps } from './service-deps.js';

const OWNER_PROTECTED = 'the owner cannot be removed or re-roled; transfer ownership first (krypt members transfer-ownership EMAIL)';

/** The contract's view of a membership. */
export function toMember(row: MemberRow): Member {
  return { email: row.email, name: row.name, role: row.role as Role, addedAt: row.created_at };
}

/** Creates the service for a project's members: list, remove, re-role, transfer ownership. */
export function createMembersService(deps: ServiceDeps) {
  const transaction = <T>(fn: (trx: Transaction<DB>) => Promise<T>) => deps.db.transaction().execute(fn);

  async function requireMember(trx: Executor, scope: ProjectScope, email: string): Promise<MemberRow> {
    const member = await findMemberByEmail(trx, scope.project.id, email);
    if (!member) throw new ServiceError('not_found', `${email} is not a member of project "${scope.project.slug}"`);
    return member;
  }

  /** A manager's target: must exist and must not be the owner. */
  async function manageable(trx: Executor, auth: AuthContext, slug: string, email: string) {
    const scope = await requireProjectScope(trx, auth, slug);
    authorize(scope, 'manage-members');
    const member = await requireMember(trx, scope, email);
    if (member.role === 'owner') throw new ServiceError('forbidden', OWNER_PROTECTED);
    return { scope, member };
  }

  return {
    /** Members (owner first) and pending invites; every member of the project may look. */
    async list(auth: AuthContext, slug: string) {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'list');
        const invites = await listOpenInvites(trx, scope.project.id, deps.now().toISOString());
        return {
          members: (await listMembers(trx, scope.project.id)).map(toMember),
          invites: invites.map((i) => ({
            id: i.id,
            email: i.email,
            role: i.role as 'admin' | 'member' | 'viewer',
            createdAt: i.created_at,
            expiresAt: i.expires_at,
            invitedBy: i.invited_by_email ?? i.created_by,
          })),
        };
      });
    },

    /** Removes a member (Owner/Admin; never the owner). */
    async remove(auth: AuthContext, slug: string, email: string): Promise<void> {
      await transaction(async (trx) => {
        const { scope, member } = await manageable(trx, auth, slug, email);
        await removeMember(trx, scope.project.id, member.user_id);
        // Their pending invites die with their right to invite.
        const invitesRevoked = await deleteOpenInvitesIssuedBy(trx, scope.project.id, member.user_id);
        await deps.audit.record(trx, {
          ...auditActor(auth),
          action: 'member.remove',
          project: scope.audit,
          environment: null,
          details: { email: member.email, role: member.role, invitesRevoked },
        });
        await deps.outbox.enqueue(trx, { topic: 'member.removed', project: scope.audit, email: member.email, role: member.role, by: auth.user.email });
      });
    },

    /** Changes a member's role (Owner/Admin; never the owner's, and never to owner). */
    async setRole(auth: AuthContext, slug: string, email: string, role: 'admin' | 'member' | 'viewer') {
      return transaction(async (trx) => {
        const { scope, member } = await manageable(trx, auth, slug, email);
        await setMemberRole(trx, scope.project.id, member.user_id, role);
        const invitesRevoked = role === 'admin' ? 0 : await deleteOpenInvitesIssuedBy(trx, scope.project.id, member.user_id);
        await deps.audit.record(trx, {
          ...auditActor(auth),
          action: 'member.role',
          project: scope.audit,
          environment: null,
          details: { email: member.email, from: member.role, to: role, invitesRevoked },
        });
        await deps.outbox.enqueue(trx, { topic: 'member.role_changed', project: scope.audit, email: member.email, from: member.role, to: role, by: auth.user.email });
        return { member: toMember({ ...member, role }) };
      });
    },

    /** Makes another member the owner (owner only); the old owner becomes an admin. */
    async transferOwnership(auth: AuthContext, slug: string, email: string) {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'transfer-ownership');
        const target = await requireMember(trx, scope, email);
        if (target.user_id === auth.user.id) throw new ServiceError('conflict', `${email} already owns project "${slug}"`);
        const previous = await requireMember(trx, scope, auth.user.email);
        await setMemberRole(trx, scope.project.id, previous.user_id, 'admin');
        await setMemberRole(trx, scope.project.id, target.user_id, 'owner');
        await deps.audit.record(trx, {
          ...auditActor(auth),
          action: 'member.transfer_ownership',
          project: scope.audit,
          environment: null,
          details: { email: target.email, previousOwner: previous.email, previousRole: target.role },
        });
        await deps.outbox.enqueue(trx, { topic: 'ownership.transferred', project: scope.audit, owner: target.email, previousOwner: previous.email });
        return { owner: toMember({ ...target, role: 'owner' }), previousOwner: toMember({ ...previous, role: 'admin' }) };
      });
    },
  };
}
export type MembersService = ReturnType<typeof createMembersService>;
