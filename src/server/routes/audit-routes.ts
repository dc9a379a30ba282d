import { caller } from '../plugins/auth.js';
import type { AuditService } from '../services/audit-service.js';
import type { RouteHandlers } from './register-routes.js';

/** A project's audit log. */
export function auditRoutes(audit: AuditService): RouteHandlers<'listAudit'> {
  return {
    listAudit: (req) => audit.list(caller(req), req.params.slug, req.query),
  };
}
