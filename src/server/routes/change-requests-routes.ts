import { caller } from '../plugins/auth.js';
import type { ChangeRequestsService } from '../services/change-requests-service.js';
import type { RouteHandlers } from './register-routes.js';

type ChangeRequestRoutes = 'listChangeRequests' | 'getChangeRequest' | 'approveChangeRequest' | 'rejectChangeRequest' | 'cancelChangeRequest';

/** Listing, showing and deciding change requests. */
export function changeRequestsRoutes(crs: ChangeRequestsService): RouteHandlers<ChangeRequestRoutes> {
  return {
    listChangeRequests: (req) => crs.list(caller(req), req.params.slug, req.query.status),
    getChangeRequest: async (req, reply) => {
      const result = await crs.show(caller(req), req.params.slug, req.params.id, req.query.reveal ?? false, req.query.key);
      // With reveal it carries values: kept out of browser and proxy caches.
      return reply.header('cache-control', 'no-store').send(result);
    },
    approveChangeRequest: (req) => crs.approve(caller(req), req.params.slug, req.params.id, req.body.force),
    rejectChangeRequest: (req) => crs.reject(caller(req), req.params.slug, req.params.id, req.body.reason),
    cancelChangeRequest: (req) => crs.cancel(caller(req), req.params.slug, req.params.id),
  };
}
