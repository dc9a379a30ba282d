import type { Environment, Role } from '../../contract/index.js';
import { ServiceError } from './service-error.js';

// The single authorization policy: every service asks here before acting on a project.

export type Action = 'list' | 'read' | 'write' | 'delete' | 'manage' | 'delete-project';

const VIEWER_MESSAGE = 'viewers can see key names only; ask an owner or admin for the member role';
const MEMBER_PRODUCTION_MESSAGE =
  'members cannot write production directly; change requests arrive in a later release';

/** Why `role` may not perform `action` (in `environment`), or undefined when it may. */
export function refusal(role: Role, action: Action, environment?: Environment): string | undefined {
  switch (action) {
    case 'list':
      return undefined;
    case 'read':
      return role === 'viewer' ? VIEWER_MESSAGE : undefined;
    case 'write':
    case 'delete':
      if (role === 'viewer') return VIEWER_MESSAGE;
      if (role === 'member' && environment === 'production') return MEMBER_PRODUCTION_MESSAGE;
      return undefined;
    case 'manage':
      return role === 'owner' || role === 'admin' ? undefined : 'managing members needs the owner or admin role';
    case 'delete-project':
      return role === 'owner' ? undefined : 'deleting a project needs the owner role';
  }
}

/** Whether `role` may perform `action` (in `environment`). */
export function can(role: Role, action: Action, environment?: Environment): boolean {
  return refusal(role, action, environment) === undefined;
}

/** Throws a 403 ServiceError naming the role needed when `role` may not perform `action`. */
export function requireCan(role: Role, action: Action, environment?: Environment): void {
  const reason = refusal(role, action, environment);
  if (reason !== undefined) throw new ServiceError('forbidden', reason);
}
