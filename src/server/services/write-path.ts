import { isPrivilegedVariable, type WriteSecretsResponse } from '../../contract/index.js';
import { lockEnvironment } from '../store/projects-store.js';
import type { Executor } from '../store/schema.js';
import { authorize, type EnvironmentScope } from './access.js';
import { createChangeRequest } from './change-request-records.js';
import { decide } from './policy.js';
import { applyChanges, assertNoConflicts, changedKeys, currentValues, effectiveChanges, type ChangeSet, type SecretLocation } from './secret-writes.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuditEvent, type AuthContext, type ServiceDeps } from './service-deps.js';

/** Where an environment scope's secrets live. */
export function locationOf(scope: EnvironmentScope): SecretLocation {
  return { projectId: scope.project.id, projectSlug: scope.project.slug, environmentId: scope.env.id, environment: scope.env.name };
}

/** How a write is recorded in the audit log when applied directly. */
export interface WriteAudit {
  action: Extract<AuditEvent['action'], 'secrets.write' | 'secret.rollback'>;
  details?: Record<string, string | number | boolean | null>;
}

/**
 * A write as the policy allows it, inside the caller's transaction: applied directly, or (a
 * Member's production write) held as a pending change request. With baseRevision, a requested
 * key written after it is a 409 either way. Audited in the same transaction.
 */
export async function performWrite(
  deps: ServiceDeps,
  trx: Executor,
  auth: AuthContext,
  scope: EnvironmentScope,
  changes: ChangeSet,
  baseRevision: number | undefined,
  audit: WriteAudit,
): Promise<WriteSecretsResponse> {
  const env = scope.env.name;
  const vias = [authorize(scope, 'write', env)];
  // The request schema refuses NUL; a rollback re-applies a stored version, which older servers accepted.
  const withNul = Object.keys(changes.set).filter((k) => (changes.set[k] as string).includes('\0')).sort();
  if (withNul.length > 0) {
    throw new ServiceError('validation', `${withNul.join(', ')}: values cannot contain a NUL character (U+0000): no program can receive it in its environment`, withNul);
  }
  const privileged = Object.keys(changes.set).filter(isPrivilegedVariable).sort();
  if (privileged.length > 0) {
    const decision = decide(scope.subject, 'write-privileged', { projectId: scope.project.id, environment: env });
    if (!decision.allowed) throw new ServiceError('forbidden', `${privileged.join(', ')}: ${decision.reason}`, privileged);
  }
  if (changes.delete.length > 0) vias.push(authorize(scope, 'delete', env));
  const current = await lockEnvironment(trx, scope.env.id);
  if (current === undefined) throw new ServiceError('not_found', `project "${scope.project.slug}" not found`);
  const requested = [...Object.keys(changes.set), ...changes.delete];
  if (baseRevision !== undefined) await assertNoConflicts(trx, locationOf(scope), current, baseRevision, requested);

  if (vias.every((v) => v === 'direct')) {
    const result = await applyChanges(trx, deps, locationOf(scope), current, auth.user.id, changes);
    const keys = [...result.changed, ...result.deleted].sort();
    if (keys.length > 0) {
      await deps.audit.record(trx, {
        ...auditActor(auth),
        action: audit.action,
        project: scope.audit,
        environment: env,
        keys,
        details: { revision: result.revision, ...audit.details },
      });
      await deps.outbox.enqueue(trx, { topic: 'secrets.changed', project: scope.audit, environment: env, revision: result.revision, keys, by: auth.user.email });
    }
    return result;
  }

  const effective = effectiveChanges(await currentValues(trx, deps.keys, locationOf(scope), changedKeys(changes)), changes);
  if (Object.keys(effective.set).length === 0 && effective.delete.length === 0) return { revision: current, changed: [], deleted: [] };
  const changeRequest = await createChangeRequest(trx, deps, locationOf(scope), auth.user, current, effective);
  await deps.audit.record(trx, {
    ...auditActor(auth),
    action: 'change_request.create',
    project: scope.audit,
    environment: env,
    keys: changeRequest.changes.map((c) => c.key),
    details: { changeRequest: changeRequest.id, ...audit.details },
  });
  await deps.outbox.enqueue(trx, {
    topic: 'change_request.created',
    project: scope.audit,
    environment: env,
    number: changeRequest.id,
    requestedBy: auth.user.email,
    keys: changeRequest.changes.map((c) => c.key),
  });
  return { changeRequest };
}
