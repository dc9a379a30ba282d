import type { KeysResponse, Project, SecretMeta } from '../contract/api.js';
import type { ApiError as ApiErrorEnvelope } from '../contract/errors.js';
import { ROUTES, routePath, type PathParams, type QueryParams, type RouteId } from '../contract/routes.js';
import { CSRF_HEADER } from '../contract/constants.js';
import type { CurrentSessionResponse as CurrentSession, SessionInfo } from '../contract/sessions.js';
import type { ChangeRequest } from '../contract/teams.js';

// The dashboard's one API module. Every request is built from the contract's route table (zod-free:
// no zod in the bundle; the types above are erased), sent same-origin with the session cookie, and
// every state-changing one carries the session's CSRF token. The API's error envelope becomes an
// ApiError whose message the page shows. Values are never logged, cached or stored here.

export { CSRF_HEADER };
export type { CurrentSession, SessionInfo };
export type SecretValue = SecretMeta & { value: string };
/** A write's outcome: applied (200), or held as a pending change request (202). */
export type WriteOutcome =
  | { status: 200; revision: number; changed: string[]; deleted: string[] }
  | { status: 202; changeRequest: ChangeRequest };

/** An error the page shows: the API's envelope, or why no answer came. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    /** The envelope's code; `network` when no answer came, `bad_response` when it was not the envelope. */
    readonly code: string,
    message: string,
    readonly requestId?: string,
    /** Conflict: the keys changed since; validation: the offending fields. */
    readonly keys?: readonly string[],
  ) {
    super(message);
  }
}

/** A request ready for fetch(). */
export interface BuiltRequest {
  url: string;
  init: RequestInit & { method: string; headers: Record<string, string> };
}

interface RequestParts {
  method: string;
  path: string;
  body?: unknown;
  /** The session's CSRF token; null only for the request that starts a session (there is none yet). */
  csrfToken?: string | null | undefined;
}

/**
 * Builds the fetch arguments: same-origin credentials, no HTTP cache, JSON body, and the CSRF header
 * on every non-GET (refused without a token, except the sign-in itself).
 */
export function buildRequest({ method, path, body, csrfToken }: RequestParts): BuiltRequest {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken !== null) {
    if (csrfToken === undefined) throw new ApiError(0, 'no_session', 'sign in first: this action needs a session');
    headers[CSRF_HEADER] = csrfToken;
  }
  const init: BuiltRequest['init'] = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return { url: path, init };
}

/** The method and path of a route of the contract's table. */
export function tableRequest<K extends RouteId>(id: K, params: PathParams<K>, query?: QueryParams<K>): { method: string; path: string } {
  return { method: ROUTES[id].method, path: routePath(id, params, query) };
}

/** Turns a non-2xx answer into an ApiError carrying the envelope's message (never the body itself otherwise). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let envelope: Partial<ApiErrorEnvelope> | undefined;
  try {
    envelope = (await res.json()) as Partial<ApiErrorEnvelope>;
  } catch {
    envelope = undefined;
  }
  const e = envelope?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    return new ApiError(res.status, e.code, e.message, typeof e.requestId === 'string' ? e.requestId : undefined, Array.isArray(e.keys) ? e.keys : undefined);
  }
  return new ApiError(res.status, 'bad_response', `the server answered ${res.status} ${res.statusText}`.trim());
}

export interface ApiOptions {
  /** The fetch to use (default: the page's). */
  fetch?: typeof fetch;
  /** Hears every 401: the session ended or never began. */
  onUnauthorized?: () => void;
}

/** The dashboard's API client. It holds the CSRF token of the current session in memory only. */
export function createApi(opts: ApiOptions = {}) {
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let csrfToken: string | undefined;

  async function exchange(parts: RequestParts): Promise<Response> {
    const { url, init } = buildRequest(parts);
    try {
      return await doFetch(url, init);
    } catch {
      throw new ApiError(0, 'network', 'could not reach the Krypt server; check that it is running and try again');
    }
  }

  async function send(route: { method: string; path: string }, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await exchange({ ...route, body, csrfToken });
    if (!res.ok) {
      const err = await errorFromResponse(res);
      if (res.status === 401) opts.onUnauthorized?.();
      throw err;
    }
    if (res.status === 204) return { status: 204, json: undefined };
    return { status: res.status, json: await res.json() };
  }

  return {
    /** The signed-in session, or null when not signed in (401). Keeps its CSRF token. */
    async currentSession(): Promise<CurrentSession | null> {
      const res = await exchange(tableRequest('currentSession', {}));
      if (res.status === 401) {
        csrfToken = undefined;
        return null;
      }
      if (!res.ok) throw await errorFromResponse(res);
      const current = (await res.json()) as CurrentSession;
      csrfToken = current.csrfToken;
      return current;
    },
    /** Swaps a one-time sign-in code for a session (the cookie is set by the answer). */
    async createSession(code: string): Promise<{ session: SessionInfo; csrfToken: string }> {
      // No session yet, so no CSRF token: the one-time code itself is the credential.
      const res = await exchange({ ...tableRequest('createSession', {}), body: { code }, csrfToken: null });
      if (!res.ok) throw await errorFromResponse(res);
      const created = (await res.json()) as { session: SessionInfo; csrfToken: string };
      csrfToken = created.csrfToken;
      return created;
    },
    /** Ends the current session on the server. */
    async signOut(): Promise<void> {
      await send(tableRequest('revokeSession', { id: 'current' }));
      csrfToken = undefined;
    },
    async listProjects(): Promise<Project[]> {
      const { json } = await send(tableRequest('listProjects', {}));
      return (json as { projects: Project[] }).projects;
    },
    async createProject(slug: string): Promise<Project> {
      const { json } = await send(tableRequest('createProject', {}), { slug });
      return (json as { project: Project }).project;
    },
    async listKeys(slug: string, env: string): Promise<KeysResponse> {
      const { json } = await send(tableRequest('listKeys', { slug, env }));
      return json as KeysResponse;
    },
    /** One value (an audited read). */
    async getSecret(slug: string, env: string, key: string): Promise<SecretValue> {
      const { json } = await send(tableRequest('getSecret', { slug, env, key }));
      return json as SecretValue;
    },
    /** Sets and deletes keys; with baseRevision a key changed since is a 409 conflict naming it. */
    async writeSecrets(slug: string, env: string, change: { set?: Record<string, string>; delete?: string[]; baseRevision?: number }): Promise<WriteOutcome> {
      const { status, json } = await send(tableRequest('writeSecrets', { slug, env }), change);
      if (status === 202) return { status: 202, changeRequest: (json as { changeRequest: ChangeRequest }).changeRequest };
      return { status: 200, ...(json as { revision: number; changed: string[]; deleted: string[] }) };
    },
  };
}

export type Api = ReturnType<typeof createApi>;
