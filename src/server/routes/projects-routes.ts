import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  createProjectRequestSchema,
  projectListResponseSchema,
  projectParamsSchema,
  projectResponseSchema,
} from '../../contract/index.js';
import { caller } from '../plugins/auth.js';
import type { ProjectsService } from '../services/projects-service.js';

/** Project listing, creation and deletion. */
export function projectsRoutes(app: FastifyInstance, projects: ProjectsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  r.get('/projects', { schema: { security, response: { 200: projectListResponseSchema } } }, (req) =>
    projects.list(caller(req)),
  );
  r.post(
    '/projects',
    { schema: { security, body: createProjectRequestSchema, response: { 201: projectResponseSchema } } },
    async (req, reply) => reply.code(201).send(await projects.create(caller(req), req.body.slug)),
  );
  r.delete('/projects/:slug', { schema: { security, params: projectParamsSchema } }, async (req, reply) => {
    await projects.remove(caller(req), req.params.slug);
    return reply.code(204).send();
  });
}
