import type { z } from 'zod';
import type { ASSIGNABLE_ROLES, AuditAction, CHANGE_REQUEST_STATUSES, ChangeRequest, Environment, WebhookEvent, WriteSecretsRequest, WriteSecretsResponse } from '../../contract/index.js';
import type { RouteSchemasOf } from '../../contract/route-schemas.js';
import { ROUTES, routePath, type BodyKind, type PathParam, type PathParams, type QueryParams, type RouteId } from '../../contract/routes.js';
import { REFUSED, ROUTE_GUARDS, check, type Shape } from '../../contract/route-guards.js';
import { badResponse, ConflictError, errorFromResponse, parseJsonBody } from './api-errors.js';
import { apiHeaders, parseApiUrl, requestUrl, send, type ConnectionOptions } from './transport.js';

export { ConflictError, errorFromResponse };

export interface ClientOptions extends ConnectionOptions {
  apiUrl: string;
  /** API key; absent only for the unauthenticated calls (redeeming an invite). */
  token?: string;
  /** CLI command name, sent for the audit log. */
  command?: string;
  userAgent?: string;
}

type Responses<K extends RouteId> = RouteSchemasOf<K>['responses'];
// call() sends no conditional request (If-None-Match), so 304 is never an answer to it.
type Answers<K extends RouteId> = Exclude<keyof Responses<K>, 304>;
/** What call(id) resolves to: the parsed body of any status the route documents (undefined without a schema, e.g. 204). */
export type CallResult<K extends RouteId> = {
  [S in Answers<K>]: Responses<K>[S] extends z.ZodType ? z.output<Responses<K>[S]> : undefined;
}[Answers<K>];
type RequestBody<K extends RouteId> = RouteSchemasOf<K> extends { body: infer B extends z.ZodType } ? z.input<B> : never;

/** The path parameters, query and body of a call to `K`, as its table entry and schemas define them. */
export type CallArgs<K extends RouteId> = ([PathParam<K>] extends [never] ? { params?: undefined } : { params: PathParams<K> }) & {
  query?: QueryParams<K>;
} & ([RequestBody<K>] extends [never] ? { body?: undefined } : BodyKind<K> extends 'optional' ? { body?: RequestBody<K> } : { body: RequestBody<K> });
// The arguments may be left out when nothing in them is required.
type CallArgsTuple<K extends RouteId> = object extends CallArgs<K> ? [args?: CallArgs<K>] : [args: CallArgs<K>];

/**
 * The typed Krypt API client. Every operation goes through call(), which takes the method and path
 * from the contract's route table and checks the response against the status received (its
 * zod-free shape where route-guards.ts has one, else its zod schema).
 */
// The daily routes' responses are checked by the zod-free shapes of route-guards.ts (the same
// bodies as their schemas accept, proved by test/unit/route-guards.test.ts). For every other route
// the response schemas (zod and the contract's schemas: ~35 ms to load) are loaded on its first
// call, once the request is sent, not when a command starts: `--help`, usage errors and commands
// that never reach the server pay nothing for them.
let schemas: Promise<typeof import('../../contract/route-schemas.js')> | undefined;
const loadSchemas = () => (schemas ??= import('../../contract/route-schemas.js'));

export function createApiClient(options: ClientOptions) {
  const base = parseApiUrl(options.apiUrl);
  const withKey = apiHeaders(options);
  const withoutKey = apiHeaders({ ...options, token: undefined });

  /**
   * Calls operation `id`. A status of 400 or more is the server's error (errorFromResponse); any
   * other status the route does not document, or a body its schema refuses, is `bad_response`.
   */
  async function call<K extends RouteId>(id: K, ...[args]: CallArgsTuple<K>): Promise<CallResult<K>> {
    const entry = ROUTES[id];
    const { params, query, body } = (args ?? {}) as { params?: PathParams<K>; query?: QueryParams<K>; body?: unknown };
    const url = requestUrl(base, routePath(id, params ?? ({} as PathParams<K>), query));
    // Credentials go only where the table asks for them.
    const headers = { ...(entry.auth === 'bearer' ? withKey : withoutKey) };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const sent = send({ method: entry.method, url, headers, body: payload, timeoutMs: options.timeoutMs ?? 30_000, debug: options.debug, caFile: options.caFile });
    const guards: Readonly<Record<number, Shape>> | undefined = (ROUTE_GUARDS as Partial<Record<RouteId, Record<number, Shape>>>)[id];
    // A route with zod-free guards loads the schemas only for a status they do not cover.
    const ready = guards ? undefined : loadSchemas();
    ready?.catch(() => undefined); // awaited below, after the response; unobserved until then
    const res = await sent;
    if (res.status >= 400) throw errorFromResponse(res.status, res.body);
    const guard = guards && Object.hasOwn(guards, res.status) ? guards[res.status] : undefined;
    if (guard) {
      const checked = check(guard, parseJsonBody(res.body, res.status));
      if (checked === REFUSED) throw badResponse(res.status);
      return checked as CallResult<K>;
    }
    const { ROUTE_SCHEMAS } = await (ready ?? loadSchemas());
    const responses: Readonly<Record<number, z.ZodType | null>> = ROUTE_SCHEMAS[id].responses;
    if (!Object.hasOwn(responses, res.status) || res.status === 304) throw badResponse(res.status);
    const schema = responses[res.status];
    if (!schema || res.status === 204) return undefined as CallResult<K>;
    const json = parseJsonBody(res.body, res.status);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw badResponse(res.status);
    return parsed.data as CallResult<K>;
  }

  const env = (slug: string, environment: Environment) => ({ slug, env: environment });
  const secret = (slug: string, environment: Environment, key: string) => ({ slug, env: environment, key });

  return {
    call,
    me: () => call('me'),
    listProjects: () => call('listProjects'),
    createProject: (slug: string) => call('createProject', { body: { slug } }),
    deleteProject: (slug: string) => call('deleteProject', { params: { slug } }),
    getSecrets: (slug: string, environment: Environment) => call('getSecrets', { params: env(slug, environment) }),
    listKeys: (slug: string, environment: Environment) => call('listKeys', { params: env(slug, environment) }),
    getSecret: (slug: string, environment: Environment, key: string) => call('getSecret', { params: secret(slug, environment, key) }),
    /** Applied, or (a Member writing production) a pending change request. */
    writeSecrets: (slug: string, environment: Environment, body: WriteSecretsRequest) => call('writeSecrets', { params: env(slug, environment), body }),
    secretHistory: (slug: string, environment: Environment, key: string, reveal = false) =>
      call('secretHistory', { params: secret(slug, environment, key), query: { reveal: reveal || undefined } }),
    /** Writes version N's value as a new version; subject to the same change-request rule as any write. */
    rollbackSecret: (slug: string, environment: Environment, key: string, version: number) =>
      call('rollbackSecret', { params: secret(slug, environment, key), body: { version } }),

    listApiKeys: () => call('listApiKeys'),
    /** A one-time dashboard sign-in link (the code is in its fragment), landing on `path`. */
    createSignInLink: (path?: string) => call('createSignInLink', { body: path === undefined ? {} : { path } }),
    createApiKey: (body: CreateApiKeyInput) => call('createApiKey', { body }),
    revokeApiKey: (id: string) => call('revokeApiKey', { params: { id } }),

    listMembers: (slug: string) => call('listMembers', { params: { slug } }),
    createInvite: (slug: string, body: { email: string; role: AssignableRole; expiresInSeconds?: number }) => call('createInvite', { params: { slug }, body }),
    removeMember: (slug: string, email: string) => call('removeMember', { params: { slug, email } }),
    setMemberRole: (slug: string, email: string, role: AssignableRole) => call('setMemberRole', { params: { slug, email }, body: { role } }),
    transferOwnership: (slug: string, email: string) => call('transferOwnership', { params: { slug }, body: { email } }),
    listInvites: (slug: string) => call('listInvites', { params: { slug } }),
    revokeInvite: (slug: string, id: string) => call('revokeInvite', { params: { slug, id } }),
    /** Unauthenticated: the one-time code is the credential; creates a new account only. */
    redeemInvite: async (code: string, name?: string) => {
      const redeemed = await call('redeemInvite', { body: { code, name } });
      // Without `session`, the server answers with the new account's API key.
      if (!('token' in redeemed)) throw badResponse(201);
      return redeemed;
    },
    /** Accepts an invite for the signed-in account (an email that already has an account). */
    acceptInvite: (code: string) => call('acceptInvite', { body: { code } }),

    listChangeRequests: (slug: string, status?: ChangeRequestStatus) => call('listChangeRequests', { params: { slug }, query: { status } }),
    getChangeRequest: (slug: string, id: number, reveal = false, key?: string) => call('getChangeRequest', { params: { slug, id }, query: { reveal: reveal || undefined, key } }),
    approveChangeRequest: (slug: string, id: number, force = false) => call('approveChangeRequest', { params: { slug, id }, body: { force } }),
    rejectChangeRequest: (slug: string, id: number, reason: string) => call('rejectChangeRequest', { params: { slug, id }, body: { reason } }),
    cancelChangeRequest: (slug: string, id: number) => call('cancelChangeRequest', { params: { slug, id } }),

    listAudit: (slug: string, filter: AuditFilter = {}) => call('listAudit', { params: { slug }, query: filter }),

    listWebhooks: (slug: string) => call('listWebhooks', { params: { slug } }),
    createWebhook: (slug: string, body: { url: string; events: WebhookEvent[] }) => call('createWebhook', { params: { slug }, body }),
    deleteWebhook: (slug: string, id: string) => call('deleteWebhook', { params: { slug, id } }),
    testWebhook: (slug: string, id: string) => call('testWebhook', { params: { slug, id } }),
    listWebhookDeliveries: (slug: string, id: string) => call('listWebhookDeliveries', { params: { slug, id } }),
  };
}
export type ApiClient = ReturnType<typeof createApiClient>;

export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];
export type ChangeRequestStatus = (typeof CHANGE_REQUEST_STATUSES)[number];

export interface CreateApiKeyInput {
  name: string;
  expiresInSeconds?: number;
  /** Makes a read-only service token for one project and environment. */
  service?: { project: string; environment: Environment };
}

export interface AuditFilter {
  environment?: Environment;
  actor?: string;
  action?: AuditAction;
  /** ISO 8601 time. */
  since?: string;
  /** ISO 8601 time: entries before it. */
  until?: string;
  /** Paging: entries older than this id (a previous page's `next`). */
  before?: number;
  limit?: number;
}

/** A write that was not applied but became a pending change request (HTTP 202). */
export function isPendingWrite(result: WriteSecretsResponse): result is { changeRequest: ChangeRequest } {
  return 'changeRequest' in result;
}

