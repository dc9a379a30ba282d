import { buildOpenApiDocument, type OpenApiDocument } from '../../contract/openapi.js';
import type { RouteHandlers } from './register-routes.js';

/** Unauthenticated liveness probe and the OpenAPI document (built from the route table on first use). */
export function healthRoutes(version: string): RouteHandlers<'health' | 'openApiDocument'> {
  let document: OpenApiDocument | undefined;
  return {
    health: () => ({ status: 'ok' as const }),
    openApiDocument: () => (document ??= buildOpenApiDocument({ version })),
  };
}
