import { API_ERROR_CODES, type ApiErrorCode } from './error-codes.js';

// The route table of the API, free of zod: for every operation its method, path, parameters,
// success statuses, error codes and whether it needs the bearer key. The start-up path of
// `krypt run` / `get` builds its request from it without loading zod; the zod schemas of the same
// operations are in route-schemas.ts (keyed by the same ids). The server registers its routes from
// both, the CLI's client calls them by id, and the OpenAPI document is built from them.

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
/** Statuses a route answers with on success. */
export type SuccessStatus = 200 | 201 | 202 | 204 | 304;
/** Success statuses without a body (No Content, Not Modified). */
export const BODYLESS_STATUSES: readonly number[] = [204, 304];

interface RouteSpec {
  readonly method: HttpMethod;
  /** Path template, parameters written `:name` (as Fastify writes them). */
  readonly path: string;
  /**
   * No Authorization needed. Every other route needs `Authorization: Bearer <api key>` or the
   * dashboard's session cookie (then, for anything but GET/HEAD, its CSRF token too: 403 `csrf`).
   */
  readonly open?: true;
  /** The statuses of a successful answer; a handler that returns a value answers with the first. */
  readonly statuses: readonly SuccessStatus[];
  /** Refusals of the operation itself; routeErrors() adds those every route of its kind can answer. */
  readonly refuses?: readonly ApiErrorCode[];
  /** Names of the query parameters. */
  readonly query?: readonly string[];
  readonly body?: 'required' | 'optional';
  /** The 200 is a stream of this media type, not JSON. */
  readonly stream?: 'text/event-stream';
  readonly summary: string;
  readonly description?: string;
}

const PROJECT = '/v1/projects/:slug';
const ENV = `${PROJECT}/environments/:env`;
const CR = `${PROJECT}/change-requests/:id`;
// Most routes of a project: a role or a service token's scope refuses (403), an unknown project is 404.
const SCOPED = ['forbidden', 'not_found'] as const;
const SCOPED_WRITE = ['forbidden', 'not_found', 'conflict'] as const;

const SPECS = {
  health: { method: 'GET', path: '/healthz', open: true, statuses: [200], summary: 'Liveness probe' },
  openApiDocument: { method: 'GET', path: '/v1/openapi.json', open: true, statuses: [200], summary: 'This OpenAPI document' },

  me: { method: 'GET', path: '/v1/me', statuses: [200], summary: 'The caller and the key it used' },
  listApiKeys: { method: 'GET', path: '/v1/keys', statuses: [200], refuses: ['forbidden'], summary: "The caller's API keys (prefixes only)" },
  createApiKey: {
    method: 'POST', path: '/v1/keys', statuses: [201], body: 'required', refuses: SCOPED,
    summary: 'Issues a personal key, or a read-only service token for one project and environment',
  },
  revokeApiKey: { method: 'DELETE', path: '/v1/keys/:id', statuses: [204], refuses: SCOPED, summary: 'Revokes one of the caller\'s keys ("current": the key in use)' },

  createSignInLink: {
    method: 'POST', path: '/v1/sign-in-links', statuses: [201], body: 'optional', refuses: ['forbidden'],
    summary: 'A one-time dashboard sign-in link (personal API key; the code is in the URL fragment)',
  },
  createSession: {
    method: 'POST', path: '/v1/sessions', open: true, statuses: [201], body: 'required', refuses: ['unauthorized', 'rate_limited'],
    summary: 'Swaps a sign-in code for a browser session (Set-Cookie) and its CSRF token',
  },
  currentSession: {
    method: 'GET', path: '/v1/session', statuses: [200], refuses: ['not_found'],
    summary: 'The browser session making the request, its user and CSRF token (404 for an API key)',
  },
  listSessions: { method: 'GET', path: '/v1/sessions', statuses: [200], summary: "The caller's browser sessions, newest first" },
  revokeSession: {
    method: 'DELETE', path: '/v1/sessions/:id', statuses: [204], refuses: ['not_found'],
    summary: 'Ends one of the caller\'s browser sessions ("current": sign out)',
  },

  listProjects: { method: 'GET', path: '/v1/projects', statuses: [200], summary: 'Projects the caller belongs to, with their role' },
  createProject: { method: 'POST', path: '/v1/projects', statuses: [201], body: 'required', refuses: ['forbidden', 'conflict'], summary: 'Creates a project; the caller becomes its owner' },
  deleteProject: { method: 'DELETE', path: PROJECT, statuses: [204], refuses: SCOPED, summary: 'Deletes a project and everything in it (owner)' },

  getSecrets: {
    method: 'GET', path: `${ENV}/secrets`, statuses: [200, 304], refuses: SCOPED,
    summary: "An environment's values (audited); 304 for If-None-Match naming the current revision",
  },
  listKeys: { method: 'GET', path: `${ENV}/keys`, statuses: [200], refuses: SCOPED, summary: "An environment's key names and metadata, never values" },
  compareEnvironments: {
    method: 'GET', path: `${PROJECT}/compare`, statuses: [200], refuses: SCOPED,
    summary: 'Which keys are missing or differ across development, staging and production (never values; audited)',
  },
  getSecret: { method: 'GET', path: `${ENV}/secrets/:key`, statuses: [200], refuses: SCOPED, summary: 'One value (audited)' },
  writeSecrets: {
    method: 'PATCH', path: `${ENV}/secrets`, statuses: [200, 202], body: 'required', refuses: SCOPED_WRITE,
    summary: 'Sets and deletes keys; 409 for keys changed since baseRevision; 202 when held as a change request',
  },
  secretHistory: { method: 'GET', path: `${ENV}/secrets/:key/history`, statuses: [200], query: ['reveal'], refuses: SCOPED, summary: "A key's versions, newest first" },
  rollbackSecret: {
    method: 'POST', path: `${ENV}/secrets/:key/rollback`, statuses: [200, 202], body: 'required', refuses: SCOPED,
    summary: "Writes an old version's value as a new version (same rules as any write)",
  },
  watchEnvironment: {
    method: 'GET', path: `${ENV}/events`, statuses: [200], stream: 'text/event-stream', refuses: SCOPED,
    summary: "A stream of the environment's revision",
    description:
      'Server-Sent Events (text/event-stream): `event: revision` / `data: {"revision":N}` on connect and after each change; `: ping` every 15 s.',
  },

  listMembers: { method: 'GET', path: `${PROJECT}/members`, statuses: [200], refuses: SCOPED, summary: 'Members and pending invites' },
  createInvite: { method: 'POST', path: `${PROJECT}/invites`, statuses: [201], body: 'required', refuses: SCOPED_WRITE, summary: 'Issues a one-time invite code (owner, admin)' },
  listInvites: { method: 'GET', path: `${PROJECT}/invites`, statuses: [200], refuses: SCOPED, summary: 'Pending invites' },
  revokeInvite: { method: 'DELETE', path: `${PROJECT}/invites/:id`, statuses: [204], refuses: SCOPED, summary: 'Revokes a pending invite' },
  acceptInvite: {
    method: 'POST', path: '/v1/invites/accept', statuses: [200], body: 'required', refuses: SCOPED_WRITE,
    summary: 'Accepts an invite with the signed-in account it was issued to',
  },
  redeemInvite: {
    method: 'POST', path: '/v1/invites/redeem', open: true, statuses: [201], body: 'required',
    refuses: ['unauthorized', 'forbidden', 'conflict', 'rate_limited'],
    summary: 'Redeems an invite code for a new account and its first key (the code is the credential)',
  },
  removeMember: { method: 'DELETE', path: `${PROJECT}/members/:email`, statuses: [204], refuses: SCOPED, summary: 'Removes a member (never the owner)' },
  setMemberRole: { method: 'PATCH', path: `${PROJECT}/members/:email`, statuses: [200], body: 'required', refuses: SCOPED, summary: "Changes a member's role" },
  transferOwnership: {
    method: 'POST', path: `${PROJECT}/transfer-ownership`, statuses: [200], body: 'required', refuses: SCOPED_WRITE,
    summary: 'Makes another member the owner; the old owner becomes an admin',
  },

  listWebhooks: { method: 'GET', path: `${PROJECT}/webhooks`, statuses: [200], refuses: SCOPED, summary: "A project's webhooks (owner, admin)" },
  createWebhook: {
    method: 'POST', path: `${PROJECT}/webhooks`, statuses: [201], body: 'required', refuses: SCOPED,
    summary: 'Adds a webhook for some events (owner, admin); its signing secret is shown once',
  },
  deleteWebhook: { method: 'DELETE', path: `${PROJECT}/webhooks/:id`, statuses: [204], refuses: SCOPED, summary: 'Removes a webhook (owner, admin)' },
  testWebhook: { method: 'POST', path: `${PROJECT}/webhooks/:id/test`, statuses: [202], refuses: SCOPED, summary: 'Queues a signed test delivery to a webhook (owner, admin)' },
  listWebhookDeliveries: {
    method: 'GET', path: `${PROJECT}/webhooks/:id/deliveries`, statuses: [200], refuses: SCOPED,
    summary: "A webhook's delivery log, newest first (owner, admin)",
  },

  listChangeRequests: { method: 'GET', path: `${PROJECT}/change-requests`, statuses: [200], query: ['status'], refuses: SCOPED, summary: "A project's change requests" },
  getChangeRequest: { method: 'GET', path: CR, statuses: [200], query: ['reveal', 'key'], refuses: SCOPED, summary: 'A change request and its diff' },
  approveChangeRequest: {
    method: 'POST', path: `${CR}/approve`, statuses: [200], body: 'required', refuses: SCOPED_WRITE,
    summary: 'Applies a pending change request; 409 for keys changed since, unless forced',
  },
  rejectChangeRequest: { method: 'POST', path: `${CR}/reject`, statuses: [200], body: 'required', refuses: SCOPED_WRITE, summary: 'Rejects a pending change request with a reason' },
  cancelChangeRequest: { method: 'POST', path: `${CR}/cancel`, statuses: [200], refuses: SCOPED_WRITE, summary: 'Withdraws a pending change request (its requester)' },

  listAudit: {
    method: 'GET', path: `${PROJECT}/audit`, statuses: [200], query: ['environment', 'actor', 'action', 'since', 'until', 'before', 'limit'], refuses: SCOPED,
    summary: "A project's audit log, newest first",
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof SPECS;
type Spec<K extends RouteId> = (typeof SPECS)[K];

/** The `:name` parameters of a path template. */
type ParamsIn<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamsIn<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;
export type PathParam<K extends RouteId> = ParamsIn<Spec<K>['path']>;
export type QueryName<K extends RouteId> = K extends RouteId ? (Spec<K> extends { query: readonly (infer Q extends string)[] } ? Q : never) : never;
export type RouteStatus<K extends RouteId> = Spec<K>['statuses'][number];
export type BodyKind<K extends RouteId> = K extends RouteId ? (Spec<K> extends { body: infer B } ? B : 'none') : never;

export interface RouteEntry<K extends RouteId = RouteId> {
  readonly id: K;
  readonly method: Spec<K>['method'];
  readonly path: Spec<K>['path'];
  /** Names of the path parameters, in order. */
  readonly params: readonly PathParam<K>[];
  readonly auth: 'bearer' | 'none';
  readonly statuses: Spec<K>['statuses'];
  /** Every error code the route can answer with (the envelope `{"error":{"code","message","requestId"}}`). */
  readonly errors: readonly ApiErrorCode[];
  readonly query: readonly QueryName<K>[];
  readonly body: BodyKind<K>;
  readonly stream: 'text/event-stream' | undefined;
  readonly summary: string;
  readonly description: string | undefined;
}

/**
 * Adds to the route's own refusals what any route of its kind can answer: 400 for bad parameters
 * or a bad body, 401 and 429 (failed credentials) behind the bearer check, 413 and 415 where a body
 * may be sent, and 500.
 */
function routeErrors(spec: RouteSpec, params: readonly string[]): ApiErrorCode[] {
  const codes = new Set<ApiErrorCode>(spec.refuses);
  const takesBody = spec.method !== 'GET';
  if (params.length > 0 || spec.query || takesBody) codes.add('validation');
  if (!spec.open) codes.add('unauthorized').add('rate_limited');
  if (!spec.open && takesBody) codes.add('csrf');
  if (takesBody) codes.add('payload_too_large').add('unsupported_media_type');
  codes.add('internal');
  return API_ERROR_CODES.filter((code) => codes.has(code));
}

function toEntry(id: string, spec: RouteSpec) {
  const params = [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
  return {
    id,
    method: spec.method,
    path: spec.path,
    params,
    auth: spec.open ? 'none' : 'bearer',
    statuses: spec.statuses,
    errors: routeErrors(spec, params),
    query: spec.query ?? [],
    body: spec.body ?? 'none',
    stream: spec.stream,
    summary: spec.summary,
    description: spec.description,
  };
}

/** Every operation of the API by id. */
export const ROUTES = Object.fromEntries(Object.entries(SPECS).map(([id, spec]) => [id, toEntry(id, spec)])) as unknown as {
  readonly [K in RouteId]: RouteEntry<K>;
};

/** The ids of ROUTES, in table order. */
export const ROUTE_IDS = Object.keys(SPECS) as RouteId[];

export type PathParams<K extends RouteId> = { readonly [P in PathParam<K>]: string | number };
export type QueryParams<K extends RouteId> = { readonly [Q in QueryName<K>]?: string | number | boolean | undefined };

/**
 * The request path of `id` with its parameters percent-encoded, plus `?query` from the defined
 * query values (none: no `?`).
 */
export function routePath<K extends RouteId>(id: K, params: PathParams<K>, query?: QueryParams<K>): string {
  const values = params as Readonly<Record<string, string | number | undefined>>;
  const path = ROUTES[id].path.replace(/:(\w+)/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${id}: no value for the path parameter :${name}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
