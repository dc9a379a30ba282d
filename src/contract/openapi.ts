import { z } from 'zod';
import { EVENTS_HEARTBEAT_MS, REVISION_EVENT } from './constants.js';
import { STATUS_OF, type ApiErrorCode } from './error-codes.js';
import { apiErrorSchema } from './errors.js';
import { ROUTE_SCHEMAS, type RouteSchemas } from './route-schemas.js';
import { BODYLESS_STATUSES, ROUTE_IDS, ROUTES, type RouteEntry } from './routes.js';
import { CSRF_HEADER, SESSION_COOKIE } from './sessions.js';

// The OpenAPI 3.0 document of the API, built from the route table: every operation with its
// parameters, body, success responses, a tag derived from its path, and the error envelope for
// each error status it can answer (the route's own, and the HTTP layer's that any request can get).

type Json = Record<string, unknown>;

interface Tag {
  name: string;
  description: string;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string; license: { name: string } };
  servers: { url: string; description: string }[];
  tags: Tag[];
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

/**
 * What the HTTP layer answers for any request, whatever its route, before a route is chosen
 * (src/server/plugins/http-limits.ts, PARSER_ERRORS): a request line, headers or body that do not
 * arrive in time, and headers too large. Same envelope; the connection is then closed.
 */
const HTTP_LAYER_ERRORS: readonly { status: number; code: ApiErrorCode; text: string }[] = [
  { status: 408, code: 'request_timeout', text: 'the request (line, headers or body) did not arrive within the server\'s limits; answered by the HTTP layer' },
  { status: 431, code: 'payload_too_large', text: 'request headers larger than the server accepts; answered by the HTTP layer' },
];

/** The groups of operations, in the order a reader meets them; tagOf() puts every operation in one. */
const TAGS: readonly Tag[] = [
  { name: 'health', description: 'Liveness probe and this document; no credential needed.' },
  { name: 'keys', description: 'The caller (`/v1/me`), their personal API keys and read-only service tokens.' },
  { name: 'sessions', description: 'Dashboard sign-in links and browser sessions (cookie + CSRF token).' },
  { name: 'projects', description: 'Projects the caller belongs to: create, list, delete.' },
  { name: 'secrets', description: "An environment's values, key names, history and rollback, and the comparison of environments." },
  { name: 'events', description: "Server-Sent Events stream of an environment's revision." },
  { name: 'members', description: 'Members of a project, their roles and the transfer of ownership.' },
  { name: 'invites', description: 'One-time invite codes: issue, list, revoke, accept or redeem.' },
  { name: 'change-requests', description: 'Production writes held for review: list, show, approve, reject, cancel.' },
  { name: 'webhooks', description: "A project's signed webhooks (Standard Webhooks), their test deliveries and delivery log." },
  { name: 'audit', description: "A project's append-only audit log." },
];

/** Path segments (parameters and the `/v1` prefix dropped) that name an existing group under another name. */
const TAG_OF_SEGMENT: Record<string, string> = {
  healthz: 'health',
  'openapi.json': 'health',
  me: 'keys',
  'sign-in-links': 'sessions',
  session: 'sessions',
  compare: 'secrets',
  'transfer-ownership': 'members',
};
/** Under `/environments/{env}`: `keys` are the environment's key names (secrets), not API keys. */
const TAG_OF_ENVIRONMENT_SEGMENT: Record<string, string> = { keys: 'secrets' };

/**
 * The tag of an operation, from its path: the first segment after `/v1/projects/{slug}` and
 * `/environments/{env}` (or after `/v1`), renamed by TAG_OF_SEGMENT. A path no rule names gets
 * its own segment as tag, so a new route is never untagged.
 */
function tagOf(path: string): string {
  const segments = path.split('/').filter((s) => s !== '' && !s.startsWith(':') && !s.startsWith('{'));
  if (segments[0] === 'v1') segments.shift();
  if (segments[0] === 'projects' && segments.length > 1) segments.shift();
  const inEnvironment = segments[0] === 'environments' && segments.length > 1;
  if (inEnvironment) segments.shift();
  const first = segments[0] ?? 'health';
  return (inEnvironment ? TAG_OF_ENVIRONMENT_SEGMENT[first] : undefined) ?? TAG_OF_SEGMENT[first] ?? first;
}

/** `/v1/projects/:slug` as OpenAPI writes it: `/v1/projects/{slug}`. */
const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

/** A route that can answer 304 is a conditional GET: its ETag names the revision, If-None-Match sends it back. */
const conditional = (entry: RouteEntry): boolean => (entry.statuses as readonly number[]).includes(304);
const ETAG_HEADER = { ETag: { description: 'The revision as a quoted string ("N"): send it back as If-None-Match', schema: { type: 'string' } } };
const IF_NONE_MATCH = { name: 'If-None-Match', in: 'header', required: false, description: 'The ETag of a previous answer: 304 while its revision is current', schema: { type: 'string' } };
// Refused failed credentials say when to try again (RateLimitedError in rate-limit-service.ts).
const RETRY_AFTER_HEADER = { 'Retry-After': { description: 'Seconds to wait before trying again (when the limit is on failed credentials)', schema: { type: 'integer' } } };

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
  if (conditional(entry)) list.push(IF_NONE_MATCH);
  return list;
}

/** The event stream as the server writes it (events-routes.ts): its format, and an example of it. */
const STREAM_FORMAT =
  `\`event: ${REVISION_EVENT}\` with \`data: {"revision":N}\` on connect and after every change; a \`: ping\` comment every ` +
  `${EVENTS_HEARTBEAT_MS / 1000} s; the server ends the stream after a while or when access is lost, and the client reconnects.`;
const STREAM_EXAMPLE = `event: ${REVISION_EVENT}\ndata: {"revision":3}\n\n: ping\n\nevent: ${REVISION_EVENT}\ndata: {"revision":4}\n\n`;

function successResponse(entry: RouteEntry, status: number, schema: z.ZodType | null): Json {
  const description = schema?.description ?? SUCCESS_TEXT[status] ?? String(status);
  const headers = conditional(entry) ? { headers: ETAG_HEADER } : {};
  if (BODYLESS_STATUSES.includes(status)) return { description, ...headers };
  if (entry.stream) {
    const media = { schema: { type: 'string', description: STREAM_FORMAT }, example: STREAM_EXAMPLE };
    return { description: entry.description ?? STREAM_FORMAT, content: { [entry.stream]: media } };
  }
  return { description, ...headers, content: { 'application/json': { schema: schema ? jsonSchema(schema, 'output') : { type: 'object' } } } };
}

function errorResponses(entry: RouteEntry): Record<number, Json> {
  const texts = new Map<number, string[]>();
  const add = (status: number, text: string) => texts.set(status, [...(texts.get(status) ?? []), text]);
  for (const code of entry.errors) add(STATUS_OF[code], `${code}: ${ERROR_TEXT[code]}`);
  for (const e of HTTP_LAYER_ERRORS) if (!texts.get(e.status)?.some((t) => t.startsWith(`${e.code}:`))) add(e.status, `${e.code}: ${e.text}`);
  const responses: Record<number, Json> = {};
  for (const [status, list] of texts) {
    const headers = status === 429 ? { headers: RETRY_AFTER_HEADER } : {};
    responses[status] = { description: list.join('; '), ...headers, content: { 'application/json': { schema: ERROR_REF } } };
  }
  return responses;
}

function operation(entry: RouteEntry, schemas: RouteSchemas): Json {
  const responses: Record<number, Json> = {};
  for (const status of entry.statuses) responses[status] = successResponse(entry, status, schemas.responses[status] ?? null);
  Object.assign(responses, errorResponses(entry));
  const params = parameters(entry, schemas);
  return {
    operationId: entry.id,
    summary: entry.summary,
    tags: [tagOf(entry.path)],
    ...(entry.description ? { description: entry.description } : {}),
    // Either credential: an API key, or the dashboard's session cookie (with X-CSRF-Token on changes).
    // An open route says so with an empty list (no credential), rather than by saying nothing.
    security: entry.auth === 'bearer' ? [{ bearer: [] }, { session: [] }] : [],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(schemas.body
      ? { requestBody: { required: entry.body === 'required', content: { 'application/json': { schema: jsonSchema(schemas.body, 'input') } } } }
      : {}),
    responses,
  };
}

/** The tags the operations use: TAGS in their order, then any a new path brought in. */
function usedTags(paths: OpenApiDocument['paths']): Tag[] {
  const used = new Set(Object.values(paths).flatMap((ops) => Object.values(ops).flatMap((op) => op.tags as string[])));
  const known = TAGS.filter((t) => used.has(t.name));
  const extra = [...used].filter((name) => !TAGS.some((t) => t.name === name)).map((name) => ({ name, description: `Operations under /${name}.` }));
  return [...known, ...extra];
}

/** The OpenAPI document of every operation in the route table (served at /v1/openapi.json); `version` is the package's. */
export function buildOpenApiDocument(info: { version: string }): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const id of ROUTE_IDS) {
    const entry: RouteEntry = ROUTES[id];
    const ops = (paths[openApiPath(entry.path)] ??= {});
    ops[entry.method.toLowerCase()] = operation(entry, ROUTE_SCHEMAS[id]);
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Krypt API',
      version: info.version,
      description: 'Krypt secrets manager API. Errors are `{"error":{"code","message","requestId"}}` with the status of their code.',
      // package.json's "license"; the terms are in the package's LICENSE file (no public URL).
      license: { name: 'UNLICENSED' },
    },
    // Relative: the document is served (at /v1/openapi.json) by the very server it describes, whatever its host.
    servers: [{ url: '/', description: 'The Krypt server serving this document (paths include their /v1 prefix)' }],
    tags: usedTags(paths),
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
