import type { Environment, Role } from '../../contract/index.js';
import { ServiceError } from './service-error.js';

// The single authorization policy: every service asks here before acting. It decides from the
// caller's role in the project, the action, the environment and (for a service token) its scope.

export type Action =
  /** Key names, history metadata, change requests, members: everything but values. */
  | 'list'
  /** Secret values in bulk, revealed history or change-request values. */
  | 'read'
  /** One secret value (getSecret, audited): a Viewer may, in a browser session, one at a time. */
  | 'read-one'
  | 'write'
  /** Write a privileged variable (one that makes programs load or run code), in any environment. */
  | 'write-privileged'
  | 'delete'
  | 'manage-members'
  /** Add, list, test and remove a project's webhooks. */
  | 'manage-webhooks'
  | 'transfer-ownership'
  /** Approve or reject a change request. */
  | 'decide-change-request'
  /** Cancel a change request; the service also checks the caller is its requester. */
  | 'cancel-change-request'
  | 'create-service-token'
  | 'read-audit'
  | 'delete-project';

/** A service token's scope: it may only list and read this one project and environment. */
export interface ServiceScope {
  projectId: string;
  projectSlug: string;
  environment: Environment;
}

/** Who is asking: their role in the target project, for a service token its scope, and whether it is a browser session. */
export interface Subject {
  role: Role;
  service: ServiceScope | null;
  /** Signed in to the dashboard (session cookie), not an API key. */
  session: boolean;
}

/** Where the action happens. */
export interface Target {
  projectId: string;
  environment?: Environment | undefined;
}

/** Allowed directly, allowed only through a change request, or refused with a reason. */
export type Decision = { allowed: true; via: 'direct' | 'change-request' } | { allowed: false; reason: string };

export const VIEWER_MESSAGE = 'viewers can see key names only; ask an owner or admin for the member role';
export const PRIVILEGED_MESSAGE = 'privileged variables make programs load or run code: only an owner or admin may set them, in every environment';
export const VIEWER_KEY_MESSAGE = 'viewers see values only one at a time in the dashboard (`krypt open`), not with an API key';
const MANAGERS_ONLY = new Set<Role>(['owner', 'admin']);

const DIRECT: Decision = { allowed: true, via: 'direct' };
const CHANGE_REQUEST: Decision = { allowed: true, via: 'change-request' };
const deny = (reason: string): Decision => ({ allowed: false, reason });

/** The refusal message for anything a service token may not do. */
export function serviceTokenMessage(scope: ServiceScope): string {
  return `service tokens are read-only and limited to ${scope.projectSlug}/${scope.environment}`;
}

function decideForRole(role: Role, action: Action, environment: Environment | undefined, session: boolean): Decision {
  switch (action) {
    // PRODUCT §1: a Viewer sees values only one at a time, in the dashboard; never with a key, never in bulk.
    case 'read-one':
      return role === 'viewer' && !session ? deny(VIEWER_KEY_MESSAGE) : DIRECT;
    case 'list':
    case 'read-audit':
      return DIRECT;
    case 'read':
      return role === 'viewer' ? deny(VIEWER_MESSAGE) : DIRECT;
    case 'write':
    case 'delete':
      if (role === 'viewer') return deny(VIEWER_MESSAGE);
      return role === 'member' && environment === 'production' ? CHANGE_REQUEST : DIRECT;
    case 'write-privileged':
      return MANAGERS_ONLY.has(role) ? DIRECT : deny(PRIVILEGED_MESSAGE);
    case 'manage-members':
      return MANAGERS_ONLY.has(role) ? DIRECT : deny('managing members needs the owner or admin role');
    case 'manage-webhooks':
      return MANAGERS_ONLY.has(role) ? DIRECT : deny('managing webhooks needs the owner or admin role');
    case 'transfer-ownership':
      return role === 'owner' ? DIRECT : deny('only the owner can transfer ownership');
    case 'decide-change-request':
      return MANAGERS_ONLY.has(role) ? DIRECT : deny('approving or rejecting change requests needs the owner or admin role');
    case 'cancel-change-request':
      return role === 'viewer' ? deny('viewers cannot make or cancel change requests') : DIRECT;
    case 'create-service-token':
      if (MANAGERS_ONLY.has(role)) return DIRECT;
      if (role === 'member') {
        return environment === 'production'
          ? deny('members may create service tokens for development and staging only; ask an owner or admin for a production token')
          : DIRECT;
      }
      return deny('viewers cannot create service tokens; ask an owner or admin');
    case 'delete-project':
      return role === 'owner' ? DIRECT : deny('deleting a project needs the owner role');
  }
}

/** Decides whether `subject` may perform `action` on `target`. */
export function decide(subject: Subject, action: Action, target: Target): Decision {
  const scope = subject.service;
  if (scope) {
    const inScope = scope.projectId === target.projectId && scope.environment === target.environment;
    // A token can never do more than the user who made it (the role check below still applies).
    if (!inScope || (action !== 'list' && action !== 'read' && action !== 'read-one')) return deny(serviceTokenMessage(scope));
  }
  return decideForRole(subject.role, action, target.environment, subject.session);
}

/** Throws a 403 when refused; otherwise says whether the action applies directly or via a change request. */
export function requireAllowed(subject: Subject, action: Action, target: Target): 'direct' | 'change-request' {
  const decision = decide(subject, action, target);
  if (!decision.allowed) throw new ServiceError('forbidden', decision.reason);
  return decision.via;
}

/** Throws a 403 for a service token: account and project-level operations need a personal key. */
export function requirePersonalKey(service: ServiceScope | null): void {
  if (service) throw new ServiceError('forbidden', serviceTokenMessage(service));
}
