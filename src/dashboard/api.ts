import type { ApiKeyInfo, CompareEntry, CompareResponse, KeysResponse, Project, SecretMeta } from '../contract/api.js';
import type { ApiError as ApiErrorEnvelope } from '../contract/errors.js';
import { ROUTES, routePath, type PathParams, type QueryParams, type RouteId } from '../contract/routes.js';
import { CSRF_HEADER } from '../contract/constants.js';
import type { CurrentSessionResponse as CurrentSession, SessionInfo } from '../contract/sessions.js';
import type { AuditAction, AuditEntry, ChangeRequest, Invite, Member } from '../contract/teams.js';
import type { Environment, Role } from '../contract/constants.js';

// The dashboard's one API module. Every request is built from the contract's route table (zod-free:
// no zod in the bundle; the types above are erased), sent same-origin with the session cookie, and
// every state-changing one carries the session's CSRF token. The API's error envelope becomes an
// ApiError whose message the page shows. Values are never logged, cached or stored here.

export { CSRF_HEADER };
export type { ApiKeyInfo, AuditEntry, CompareEntry, CompareResponse, ChangeRequest, CurrentSession, Invite, Member, SessionInfo };
export type AssignableRole = Exclude<Role, 'owner'>;
export type ChangeRequestStatus = ChangeRequest['status'];
/** One line of a change request's diff; values only when revealed. */
export interface DiffLine {
  key: string;
  change: 'added' | 'changed' | 'removed' | 'unchanged';
  current?: string | null;
  proposed?: string | null;
}
export interface AuditFilter {
  environment?: Environment | undefined;
  actor?: string | undefined;
  action?: AuditAction | undefined;
  since?: string | undefined;
  until?: string | undefined;
  before?: number | undefined;
  limit?: number | undefined;
}
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
    /** Which keys are missing or differ across the environments (values compared by the server, never sent; audited). */
    async compareEnvironments(slug: string): Promise<CompareResponse> {
      const { json } = await send(tableRequest('compareEnvironments', { slug }));
      return json as CompareResponse;
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
    /** Deletes a project and everything in it (Owner). */
    async deleteProject(slug: string): Promise<void> {
      await send(tableRequest('deleteProject', { slug }));
    },

    async listMembers(slug: string): Promise<{ members: Member[]; invites: Invite[] }> {
      const { json } = await send(tableRequest('listMembers', { slug }));
      return json as { members: Member[]; invites: Invite[] };
    },
    /** The code and link are in this answer only. */
    async createInvite(slug: string, email: string, role: AssignableRole): Promise<{ invite: Invite; code: string; url: string }> {
      const { json } = await send(tableRequest('createInvite', { slug }), { email, role });
      return json as { invite: Invite; code: string; url: string };
    },
    async revokeInvite(slug: string, id: string): Promise<void> {
      await send(tableRequest('revokeInvite', { slug, id }));
    },
    async setMemberRole(slug: string, email: string, role: AssignableRole): Promise<Member> {
      const { json } = await send(tableRequest('setMemberRole', { slug, email }), { role });
      return (json as { member: Member }).member;
    },
    async removeMember(slug: string, email: string): Promise<void> {
      await send(tableRequest('removeMember', { slug, email }));
    },
    async transferOwnership(slug: string, email: string): Promise<void> {
      await send(tableRequest('transferOwnership', { slug }), { email });
    },
    /** Accepts an invite as the signed-in user. */
    async acceptInvite(code: string): Promise<{ project: string; role: Role }> {
      const { json } = await send(tableRequest('acceptInvite', {}), { code });
      return json as { project: string; role: Role };
    },
    /** Joins with an invite as someone new: the answer signs the new account in (cookie). */
    async redeemInvite(code: string, name: string | undefined): Promise<{ project: string; role: Role }> {
      const res = await exchange({ ...tableRequest('redeemInvite', {}), body: { code, session: true, ...(name ? { name } : {}) }, csrfToken: null });
      if (!res.ok) throw await errorFromResponse(res);
      const joined = (await res.json()) as { project: string; role: Role; csrfToken: string };
      csrfToken = joined.csrfToken;
      return { project: joined.project, role: joined.role };
    },

    async listChangeRequests(slug: string, status?: ChangeRequestStatus): Promise<ChangeRequest[]> {
      const { json } = await send(tableRequest('listChangeRequests', { slug }, { status }));
      return (json as { changeRequests: ChangeRequest[] }).changeRequests;
    },
    /** A request and its diff; with `revealKey`, that key's current and proposed values (an audited read). */
    async getChangeRequest(slug: string, id: number, revealKey?: string): Promise<{ changeRequest: ChangeRequest; diff: DiffLine[] }> {
      const query = revealKey === undefined ? {} : { reveal: true, key: revealKey };
      const { json } = await send(tableRequest('getChangeRequest', { slug, id }, query));
      return json as { changeRequest: ChangeRequest; diff: DiffLine[] };
    },
    async approveChangeRequest(slug: string, id: number, force: boolean): Promise<{ changeRequest: ChangeRequest; revision?: number }> {
      const { json } = await send(tableRequest('approveChangeRequest', { slug, id }), { force });
      return json as { changeRequest: ChangeRequest; revision?: number };
    },
    async rejectChangeRequest(slug: string, id: number, reason: string): Promise<ChangeRequest> {
      const { json } = await send(tableRequest('rejectChangeRequest', { slug, id }), { reason });
      return (json as { changeRequest: ChangeRequest }).changeRequest;
    },
    async cancelChangeRequest(slug: string, id: number): Promise<ChangeRequest> {
      const { json } = await send(tableRequest('cancelChangeRequest', { slug, id }));
      return (json as { changeRequest: ChangeRequest }).changeRequest;
    },

    /** A page of the audit log, newest first; `next` is the `before` of the page after it. */
    async listAudit(slug: string, filter: AuditFilter): Promise<{ entries: AuditEntry[]; next: number | null }> {
      const { json } = await send(tableRequest('listAudit', { slug }, filter));
      return json as { entries: AuditEntry[]; next: number | null };
    },

    async listApiKeys(): Promise<ApiKeyInfo[]> {
      const { json } = await send(tableRequest('listApiKeys', {}));
      return (json as { keys: ApiKeyInfo[] }).keys;
    },
    /** A personal key, or with `service` a read-only token for one project and environment; the token is in this answer only. */
    async createApiKey(input: { name: string; expiresInSeconds?: number; service?: { project: string; environment: Environment } }): Promise<{ key: ApiKeyInfo; token: string }> {
      const { json } = await send(tableRequest('createApiKey', {}), input);
      return json as { key: ApiKeyInfo; token: string };
    },
    async revokeApiKey(id: string): Promise<void> {
      await send(tableRequest('revokeApiKey', { id }));
    },
    async listSessions(): Promise<SessionInfo[]> {
      const { json } = await send(tableRequest('listSessions', {}));
      return (json as { sessions: SessionInfo[] }).sessions;
    },
    async revokeSession(id: string): Promise<void> {
      await send(tableRequest('revokeSession', { id }));
    },
  };
}

export type Api = ReturnType<typeof createApi>;
