import { caller } from '../plugins/auth.js';
import type { ProjectsService } from '../services/projects-service.js';
import type { RouteHandlers } from './register-routes.js';

/** Project listing, creation and deletion. */
export function projectsRoutes(projects: ProjectsService): RouteHandlers<'listProjects' | 'createProject' | 'deleteProject'> {
  return {
    listProjects: (req) => projects.list(caller(req)),
    createProject: (req) => projects.create(caller(req), req.body.slug),
    deleteProject: (req) => projects.remove(caller(req), req.params.slug),
  };
}
