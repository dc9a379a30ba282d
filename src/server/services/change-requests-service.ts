import type { Transaction } from 'kysely';
import type { CHANGE_REQUEST_STATUSES, ChangeRequest } from '../../contract/index.js';
import { decideChangeRequest, findChangeRequest, listChangeRequestItems, listChangeRequests, type ChangeRequestView } from '../store/change-requests-store.js';
import { lockEnvironment } from '../store/projects-store.js';
import type { DB, Executor } from '../store/schema.js';
import { authorize, requireProjectScope, type ProjectScope } from './access.js';
import { proposedChanges, toChangeRequest } from './change-request-records.js';
import { applyChanges, assertNoConflicts, currentValues, type SecretLocation } from './secret-writes.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuthContext, type ServiceDeps } from './service-deps.js';

type DiffLine = { key: string; change: 'added' | 'changed' | 'removed' | 'unchanged'; current?: string | null; proposed?: string | null };

/** Creates the service for reviewing change requests: list, show, approve, reject, cancel. */
export function createChangeRequestsService(deps: ServiceDeps) {
  const transaction = <T>(fn: (trx: Transaction<DB>) => Promise<T>) => deps.db.transaction().execute(fn);

  async function load(trx: Executor, scope: ProjectScope, id: number) {
    const row = await findChangeRequest(trx, scope.project.id, id);
    if (!row) throw new ServiceError('not_found', `change request #${id} not found in project "${scope.project.slug}"`);
    return { row, items: await listChangeRequestItems(trx, [row.id]) };
  }

  const location = (scope: ProjectScope, row: ChangeRequestView): SecretLocation => ({
    projectId: scope.project.id,
    projectSlug: scope.project.slug,
    environmentId: row.environment_id,
    environment: row.environment as SecretLocation['environment'],
  });

  /** Locks the request's environment (serialising every decision on it) and checks it is still pending. */
  async function lockPending(trx: Executor, scope: ProjectScope, row: ChangeRequestView): Promise<number> {
    const current = await lockEnvironment(trx, row.environment_id);
    const fresh = await findChangeRequest(trx, scope.project.id, row.number);
    if (current === undefined || !fresh) throw new ServiceError('not_found', `change request #${row.number} not found`);
    if (fresh.status !== 'pending') throw new ServiceError('conflict', `change request #${row.number} is already ${fresh.status}`);
    return current;
  }

  async function decide(
    trx: Executor,
    auth: AuthContext,
    scope: ProjectScope,
    row: ChangeRequestView,
    status: 'approved' | 'rejected' | 'cancelled',
    reason: string | null,
  ): Promise<ChangeRequest> {
    const decision = { status, decided_by: auth.user.id, decided_at: deps.now().toISOString(), reason };
    if (!(await decideChangeRequest(trx, row.id, decision))) throw new ServiceError('conflict', `change request #${row.number} is no longer pending`);
    const { row: updated, items } = await load(trx, scope, row.number);
    const changeRequest = toChangeRequest(scope.project.slug, updated, items);
    await deps.outbox.enqueue(trx, {
      topic: 'change_request.decided',
      project: scope.audit,
      environment: changeRequest.environment,
      number: changeRequest.id,
      decision: status,
      reason,
      decidedBy: auth.user.email,
      requestedBy: changeRequest.requestedBy,
      keys: changeRequest.changes.map((c) => c.key),
    });
    return changeRequest;
  }

  return {
    /** A project's change requests, newest first (any member may list them). */
    async list(auth: AuthContext, slug: string, status?: (typeof CHANGE_REQUEST_STATUSES)[number]): Promise<{ changeRequests: ChangeRequest[] }> {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'list');
        const rows = await listChangeRequests(trx, scope.project.id, status);
        const items = await listChangeRequestItems(trx, rows.map((r) => r.id));
        return { changeRequests: rows.map((r) => toChangeRequest(slug, r, items.filter((i) => i.change_request_id === r.id))) };
      });
    },

    /**
     * One request with its diff against the current values; values only with reveal, for readers
     * (audited), and with `onlyKey` only that key's (the dashboard reveals one key at a time).
     */
    async show(auth: AuthContext, slug: string, id: number, reveal: boolean, onlyKey?: string) {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'list');
        const { row, items } = await load(trx, scope, id);
        if (reveal) authorize(scope, 'read', row.environment as SecretLocation['environment']);
        if (onlyKey !== undefined && !items.some((i) => i.key === onlyKey)) {
          throw new ServiceError('not_found', `change request #${id} does not change ${onlyKey}`);
        }
        const revealed = (key: string) => reveal && (onlyKey === undefined || key === onlyKey);
        const current = await currentValues(trx, deps.keys, location(scope, row), items.map((i) => i.key));
        const proposed = proposedChanges(deps.keys, scope.project.id, row, items);
        const diff: DiffLine[] = items.map(({ key }) => {
          // A damaged current row is shown as present with an unknown value.
          const exists = current.values.has(key) || current.damaged.has(key);
          const old = current.values.get(key);
          const next = Object.hasOwn(proposed.set, key) ? (proposed.set[key] as string) : undefined;
          const change = next === undefined ? (exists ? 'removed' : 'unchanged') : !exists ? 'added' : old === next ? 'unchanged' : 'changed';
          return revealed(key) ? { key, change, current: old ?? null, proposed: next ?? null } : { key, change };
        });
        if (reveal) {
          await deps.audit.record(trx, {
            ...auditActor(auth),
            action: 'change_request.reveal',
            project: scope.audit,
            environment: row.environment as SecretLocation['environment'],
            keys: items.map((i) => i.key).filter(revealed),
            details: { changeRequest: id },
          });
        }
        return { changeRequest: toChangeRequest(slug, row, items), diff };
      });
    },

    /**
     * Approves a pending request (Owner/Admin): applies all its changes atomically through the same
     * path as a direct write. A key written after the request's base revision is a 409 unless forced.
     */
    async approve(auth: AuthContext, slug: string, id: number, force: boolean) {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'decide-change-request');
        const { row, items } = await load(trx, scope, id);
        const current = await lockPending(trx, scope, row);
        const at = location(scope, row);
        const changes = proposedChanges(deps.keys, scope.project.id, row, items);
        if (!force) await assertNoConflicts(trx, at, current, row.base_revision, items.map((i) => i.key));
        // The requester authored the values; the approver is recorded as the decider.
        const applied = await applyChanges(trx, deps, at, current, row.requested_by, changes);
        const changeRequest = await decide(trx, auth, scope, row, 'approved', null);
        const event = { ...auditActor(auth), project: scope.audit, environment: at.environment };
        await deps.audit.record(trx, {
          ...event,
          action: 'change_request.approve',
          keys: items.map((i) => i.key),
          details: { changeRequest: id, force, revision: applied.revision },
        });
        const written = [...applied.changed, ...applied.deleted].sort();
        if (written.length > 0) {
          await deps.audit.record(trx, { ...event, action: 'secrets.write', keys: written, details: { revision: applied.revision, changeRequest: id } });
          await deps.outbox.enqueue(trx, { topic: 'secrets.changed', project: scope.audit, environment: at.environment, revision: applied.revision, keys: written, by: auth.user.email });
        }
        return { changeRequest, revision: applied.revision };
      });
    },

    /** Rejects a pending request with a reason (Owner/Admin). */
    async reject(auth: AuthContext, slug: string, id: number, reason: string) {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'decide-change-request');
        const { row, items } = await load(trx, scope, id);
        await lockPending(trx, scope, row);
        const changeRequest = await decide(trx, auth, scope, row, 'rejected', reason);
        await deps.audit.record(trx, {
          ...auditActor(auth),
          action: 'change_request.reject',
          project: scope.audit,
          environment: changeRequest.environment,
          keys: items.map((i) => i.key),
          details: { changeRequest: id, reason },
        });
        return { changeRequest };
      });
    },

    /** Cancels a pending request; only its requester may. */
    async cancel(auth: AuthContext, slug: string, id: number) {
      return transaction(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        authorize(scope, 'cancel-change-request');
        const { row, items } = await load(trx, scope, id);
        if (row.requested_by !== auth.user.id) {
          throw new ServiceError('forbidden', 'only the requester can cancel a change request; an owner or admin can reject it');
        }
        await lockPending(trx, scope, row);
        const changeRequest = await decide(trx, auth, scope, row, 'cancelled', null);
        await deps.audit.record(trx, {
          ...auditActor(auth),
          action: 'change_request.cancel',
          project: scope.audit,
          environment: changeRequest.environment,
          keys: items.map((i) => i.key),
          details: { changeRequest: id },
        });
        return { changeRequest };
      });
    },
  };
}
export type ChangeRequestsService = ReturnType<typeof createChangeRequestsService>;
