import type { Environment, Role } from '../../contract/index.js';
import { findEnvironment, findProjectAccess, type EnvironmentRow, type ProjectRow } from '../store/projects-store.js';
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
 * token asking about any other project is refused outright (403), without looking it up. Outside a
 * transaction, `kept` may answer instead of the database (kept-reads.ts).
 */
export async function requireProjectScope(db: Executor, auth: AuthContext, slug: string, kept?: KeptReads): Promise<ProjectScope> {
  if (auth.service && auth.service.projectSlug !== slug) throw new ServiceError('forbidden', serviceTokenMessage(auth.service));
  const load = () => findProjectAccess(db, slug, auth.user.id);
  const access = kept && !db.isTransaction ? await kept.get(`access\0${slug}\0${auth.user.id}`, load) : await load();
  if (!access) throw projectNotFound(slug);
  return {
    project: access.project,
    role: access.role,
    subject: { role: access.role, service: auth.service, session: auth.session !== null },
    audit: { id: access.project.id, slug: access.project.slug },
  };
}

/** Asks the policy about an action in this project (and environment); throws 403 when refused. */
export function authorize(scope: ProjectScope, action: Action, environment?: Environment): 'direct' | 'change-request' {
  return requireAllowed(scope.subject, action, { projectId: scope.project.id, environment });
}

/**
 * The project scope narrowed to one environment (404 if it is missing); `forShare`: see
 * findEnvironment. Outside a transaction, `kept` may answer instead of the database.
 */
export async function withEnvironment(db: Executor, scope: ProjectScope, env: Environment, forShare = false, kept?: KeptReads): Promise<EnvironmentScope> {
  const load = () => findEnvironment(db, scope.project.id, env, forShare);
  const row = kept && !db.isTransaction && !forShare ? await kept.get(`environment\0${scope.project.id}\0${env}`, load) : await load();
  if (!row) throw new ServiceError('not_found', `environment "${env}" not found in project "${scope.project.slug}"`);
  return { ...scope, env: { ...row, name: env } };
}
