import { randomUUID } from 'node:crypto';
import { ENVIRONMENTS, type Project } from '../../contract/index.js';
import {
  deleteProject,
  findProjectBySlug,
  insertProject,
  listProjectsForUser,
  type ProjectAccess,
} from '../store/projects-store.js';
import { authorize, requireProjectScope } from './access.js';
import { requirePersonalKey } from './policy.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuthContext, type ServiceDeps } from './service-deps.js';

/** True for a unique-constraint violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function toProject(a: ProjectAccess): Project {
  return { slug: a.project.slug, role: a.role, createdAt: a.project.created_at };
}

/** Creates the service for listing, creating and deleting projects. */
export function createProjectsService(deps: ServiceDeps) {
  return {
    /** Projects the caller belongs to, with their role (a service token sees only its own project). */
    async list(auth: AuthContext): Promise<{ projects: Project[] }> {
      const all = await listProjectsForUser(deps.db, auth.user.id);
      const visible = auth.service ? all.filter((a) => a.project.id === auth.service?.projectId) : all;
      return { projects: visible.map(toProject) };
    },
    /** Creates a project with its three environments; the caller becomes its owner. */
    async create(auth: AuthContext, slug: string): Promise<{ project: Project }> {
      requirePersonalKey(auth.service);
      const taken = new ServiceError('conflict', `project slug "${slug}" is already taken`);
      const now = deps.now().toISOString();
      const id = randomUUID();
      try {
        await deps.db.transaction().execute(async (trx) => {
          if (await findProjectBySlug(trx, slug)) throw taken;
          await insertProject(
            trx,
            { id, slug, created_at: now, created_by: auth.user.id },
            ENVIRONMENTS.map((name) => ({ id: randomUUID(), project_id: id, name, revision: 0 })),
            { project_id: id, user_id: auth.user.id, role: 'owner', created_at: now },
          );
          await deps.audit.record(trx, { ...auditActor(auth), action: 'project.create', project: { id, slug }, environment: null });
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw taken;
        throw err;
      }
      return { project: { slug, role: 'owner', createdAt: now } };
    },
    /** Deletes a project and everything in it (owner only). */
    async remove(auth: AuthContext, slug: string): Promise<void> {
      await deps.db.transaction().execute(async (trx) => {
        const scope = await requireProjectScope(trx, auth, slug);
        requirePersonalKey(auth.service);
        authorize(scope, 'delete-project');
        await deleteProject(trx, scope.project.id);
        await deps.audit.record(trx, { ...auditActor(auth), action: 'project.delete', project: scope.audit, environment: null });
      });
    },
  };
}
export type ProjectsService = ReturnType<typeof createProjectsService>;
