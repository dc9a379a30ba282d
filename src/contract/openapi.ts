import { z } from 'zod';
import { STATUS_OF, type ApiErrorCode } from './error-codes.js';
import { apiErrorSchema } from './errors.js';
import { ROUTE_SCHEMAS, type RouteSchemas } from './route-schemas.js';
import { BODYLESS_STATUSES, ROUTE_IDS, ROUTES, type RouteEntry } from './routes.js';
import { CSRF_HEADER, SESSION_COOKIE } from './sessions.js';

// The OpenAPI 3.0 document of the API, built from the route table: every operation with its
// parameters, body, success responses and the error envelope for each error code it can answer.

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  components: Json;
  paths: Record<string, Record<string, Json>>;
}

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): Json =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Json;

const SUCCESS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 304: 'Not Modified' };
const ERROR_TEXT: Record<ApiErrorCode, string> = {
  validation: 'invalid parameters, query or body',
  unauthorized: 'missing, invalid, expired or revoked credential',
  forbidden: 'not allowed for the caller (role, or a service token outside its scope)',
  csrf: 'a cookie-authenticated request without its X-CSRF-Token, or from another origin',
  not_found: 'no such resource, or not visible to the caller',
  conflict: 'conflicts with the current state',
  payload_too_large: 'request larger than the server accepts',
  unsupported_media_type: 'request body is not JSON',
  rate_limited: 'too many failed credentials from this address, or too many open streams',
  request_timeout: 'request not received in time',
  internal: 'internal error (no details are given)',
};
const ERROR_REF = { $ref: '#/components/schemas/ApiError' };

/** `/v1/projects/:slug` as OpenAPI writes it: `/v1/projects/{slug}`. */
const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

function parameters(entry: RouteEntry, schemas: RouteSchemas): Json[] {
  const list: Json[] = [];
  for (const [where, schema] of [['path', schemas.params], ['query', schemas.query]] as const) {
    if (!schema) continue;
    const object = jsonSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
    const names = where === 'path' ? entry.params : (entry.query as readonly string[]);
    for (const name of names) {
      list.push({ name, in: where, required: where === 'path' || (object.required ?? []).includes(name), schema: object.properties?.[name] ?? {} });
    }
  }
  return list;
}

function successResponse(entry: RouteEntry, status: number, schema: z.ZodType | null): Json {
  const description = schema?.description ?? SUCCESS_TEXT[status] ?? String(status);
  if (BODYLESS_STATUSES.includes(status)) return { description };
  if (entry.stream) return { description: entry.description ?? description, content: { [entry.stream]: { schema: { type: 'string' } } } };
  return { description, content: { 'application/json': { schema: schema ? jsonSchema(schema, 'output') : { type: 'object' } } } };
}

function operation(entry: RouteEntry, schemas: RouteSchemas): Json {
  const responses: Record<number, Json> = {};
  for (const status of entry.statuses) responses[status] = successResponse(entry, status, schemas.responses[status] ?? null);
  for (const code of entry.errors) {
    const status = STATUS_OF[code];
    const text = `${code}: ${ERROR_TEXT[code]}`;
    const previous = responses[status]?.description;
    responses[status] = { description: previous ? `${previous}; ${text}` : text, content: { 'application/json': { schema: ERROR_REF } } };
  }
  const params = parameters(entry, schemas);
  return {
    operationId: entry.id,
    summary: entry.summary,
    ...(entry.description ? { description: entry.description } : {}),
    // Either credential: an API key, or the dashboard's session cookie (with X-CSRF-Token on changes).
    ...(entry.auth === 'bearer' ? { security: [{ bearer: [] }, { session: [] }] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(schemas.body
      ? { requestBody: { required: entry.body === 'required', content: { 'application/json': { schema: jsonSchema(schemas.body, 'input') } } } }
      : {}),
    responses,
  };
}

/** The OpenAPI document of every operation in the route table (served at /v1/openapi.json). */
export function buildOpenApiDocument(info: { version: string }): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const id of ROUTE_IDS) {
    const entry: RouteEntry = ROUTES[id];
    const ops = (paths[openApiPath(entry.path)] ??= {});
    ops[entry.method.toLowerCase()] = operation(entry, ROUTE_SCHEMAS[id]);
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Krypt API', version: info.version, description: 'Krypt secrets manager API' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'krypt_... API key' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: `dashboard session (POST /v1/sessions); requests other than GET/HEAD also send ${CSRF_HEADER}`,
        },
      },
      schemas: { ApiError: jsonSchema(apiErrorSchema, 'output') },
    },
    paths,
  };
}
