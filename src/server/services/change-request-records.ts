import { randomUUID } from 'node:crypto';
import type { ChangeRequest, Environment } from '../../contract/index.js';
import { decryptValue, encryptValue, type DerivedKeys, type ValueContext } from '../crypto/value-crypto.js';
import {
  insertChangeRequest,
  nextChangeRequestNumber,
  type ChangeRequestItemRow,
  type ChangeRequestView,
} from '../store/change-requests-store.js';
import type { Executor } from '../store/schema.js';
import type { ChangeSet, SecretLocation } from './secret-writes.js';

// Change requests as records: creating one (values encrypted like secrets, bound to the request)
// and turning rows back into the contract's shape or a change set.

/**
 * The encryption context of a proposed value: the project, environment and key as for a secret,
 * plus the request's own id as purpose, so it verifies neither as a secret row nor in another request.
 */
export function proposedValueContext(projectId: string, environment: string, changeRequestId: string, key: string): ValueContext {
  return { projectId, environment, key, version: 0, purpose: `change-request:${changeRequestId}` };
}

/** Stores a pending change request holding `changes` against `baseRevision`; returns its public form. */
export async function createChangeRequest(
  trx: Executor,
  deps: { keys: DerivedKeys; now: () => Date },
  at: SecretLocation,
  requester: { id: string; email: string },
  baseRevision: number,
  changes: ChangeSet,
): Promise<ChangeRequest> {
  const id = randomUUID();
  const number = await nextChangeRequestNumber(trx, at.projectId);
  const createdAt = deps.now().toISOString();
  const items: ChangeRequestItemRow[] = [
    ...Object.entries(changes.set).map(([key, value]) => ({
      change_request_id: id,
      key,
      action: 'set',
      ...encryptValue(deps.keys, proposedValueContext(at.projectId, at.environment, id, key), value),
    })),
    ...changes.delete.map((key) => ({ change_request_id: id, key, action: 'delete', value: null, tag: null })),
  ].sort((a, b) => (a.key < b.key ? -1 : 1));
  await insertChangeRequest(
    trx,
    {
      id,
      project_id: at.projectId,
      number,
      environment_id: at.environmentId,
      status: 'pending',
      requested_by: requester.id,
      created_at: createdAt,
      base_revision: baseRevision,
      decided_by: null,
      decided_at: null,
      reason: null,
    },
    items,
  );
  return {
    id: number,
    project: at.projectSlug,
    environment: at.environment,
    status: 'pending',
    requestedBy: requester.email,
    createdAt,
    baseRevision,
    changes: items.map((i) => ({ key: i.key, action: i.action as 'set' | 'delete' })),
    decidedBy: null,
    decidedAt: null,
    reason: null,
  };
}

/** The contract's view of a stored request and its items. */
export function toChangeRequest(projectSlug: string, row: ChangeRequestView, items: ChangeRequestItemRow[]): ChangeRequest {
  return {
    id: row.number,
    project: projectSlug,
    environment: row.environment as Environment,
    status: row.status as ChangeRequest['status'],
    requestedBy: row.requested_by_email ?? row.requested_by,
    createdAt: row.created_at,
    baseRevision: row.base_revision,
    changes: items.map((i) => ({ key: i.key, action: i.action as 'set' | 'delete' })),
    decidedBy: row.decided_by === null ? null : (row.decided_by_email ?? row.decided_by),
    decidedAt: row.decided_at,
    reason: row.reason,
  };
}

/** Decrypts a request's items back into the change set it proposes. */
export function proposedChanges(keys: DerivedKeys, projectId: string, row: ChangeRequestView, items: ChangeRequestItemRow[]): ChangeSet {
  const changes: ChangeSet = { set: {}, delete: [] };
  for (const item of items) {
    if (item.action === 'delete') changes.delete.push(item.key);
    else {
      const ctx = proposedValueContext(projectId, row.environment, row.id, item.key);
      changes.set[item.key] = decryptValue(keys, ctx, { value: item.value ?? '', tag: item.tag ?? '' });
    }
  }
  return changes;
}
