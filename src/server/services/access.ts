import type { Environment, Role } from '../../contract/index.js';
import { findEnvironment, findEnvironmentAccess, findProjectAccess, type EnvironmentRow, type ProjectAccess, type ProjectRow } from '../store/projects-store.js';
import type { Executor } from '../store/schema.js';
import { requireAllowed, serviceTokenMessage, type Action, type Subject } from './policy.js';
import { projectNotFound, ServiceError } from './service-error.js';
import type { KeptReads } from './kept-reads.js';
import type { AuditEvent, AuthContext } from './service-deps.js';

// Resolving "which project, as whom": the caller's membership, turned into a policy subject.

/** A project the caller belongs to, with their role and what the policy needs to decide. */
export interface ProjectScope {
  project: ProjectRow;
  role: Role;
  subject: Subject;
  /** The project as an audit event names it. */
  audit: NonNullable<AuditEvent['project']>;
}

/** One environment of a project in scope. */
export interface EnvironmentScope extends ProjectScope {
  env: EnvironmentRow & { name: Environment };
}

/**
 * The caller's access to a project, or a 404 that does not reveal whether it exists. A service
 * token asking about any other project is refused outright (403), without looking it up.
 */
export async function requireProjectScope(db: Executor, auth: AuthContext, slug: string): Promise<ProjectScope> {
  refuseOtherProject(auth, slug);
  const access = await findProjectAccess(db, slug, auth.user.id);
  if (!access) throw projectNotFound(slug);
  return projectScope(auth, access);
}

/**
 * requireProjectScope, authorize and withEnvironment in one query, for reads outside a
 * transaction, or none: the access read with the caller's key (AuthContext.prefetched), or `kept`
 * (kept-reads.ts), current all the same.
 */
export async function requireEnvironmentScope(
  db: Executor,
  auth: AuthContext,
  slug: string,
  env: Environment,
  action: Action,
  kept: KeptReads,
): Promise<EnvironmentScope> {
  refuseOtherProject(auth, slug);
  const { prefetched } = auth;
  const access =
    prefetched && prefetched.slug === slug && prefetched.env === env
      ? prefetched.access
      : await kept.get(JSON.stringify(['scope', auth.user.id, slug, env]), () => findEnvironmentAccess(db, slug, auth.user.id, env));
  if (!access) throw projectNotFound(slug);
  const scope = projectScope(auth, access);
  authorize(scope, action, env);
  if (!access.environment) throw environmentNotFound(env, slug);
  return { ...scope, env: { ...access.environment, name: env } };
}

function refuseOtherProject(auth: AuthContext, slug: string): void {
  if (auth.service && auth.service.projectSlug !== slug) throw new ServiceError('forbidden', serviceTokenMessage(auth.service));
}

function projectScope(auth: AuthContext, access: ProjectAccess): ProjectScope {
  return {
    project: access.project,
    role: access.role,
    subject: { role: access.role, service: auth.service, session: auth.session !== null },
    audit: { id: access.project.id, slug: access.project.slug },
  };
}

const environmentNotFound = (env: Environment, slug: string) => new ServiceError('not_found', `environment "${env}" not found in project "${slug}"`);

/** Asks the policy about an action in this project (and environment); throws 403 when refused. */
export function authorize(scope: ProjectScope, action: Action, environment?: Environment): 'direct' | 'change-request' {
  return requireAllowed(scope.subject, action, { projectId: scope.project.id, environment });
}

/** The project scope narrowed to one environment (404 if it is missing); `forShare`: see findEnvironment. */
export async function withEnvironment(db: Executor, scope: ProjectScope, env: Environment, forShare = false): Promise<EnvironmentScope> {
  const row = await findEnvironment(db, scope.project.id, env, forShare);
  if (!row) throw environmentNotFound(env, scope.project.slug);
  return { ...scope, env: { ...row, name: env } };
}
