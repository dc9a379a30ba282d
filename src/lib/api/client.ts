import type { z } from 'zod';
import {
  acceptInviteResponseSchema,
  apiKeyListResponseSchema,
  auditResponseSchema,
  changeRequestListResponseSchema,
  changeRequestResponseSchema,
  changeRequestShowResponseSchema,
  CLI_COMMAND_HEADER,
  createApiKeyResponseSchema,
  createInviteResponseSchema,
  invitesResponseSchema,
  keysResponseSchema,
  meResponseSchema,
  memberResponseSchema,
  membersResponseSchema,
  projectListResponseSchema,
  projectResponseSchema,
  redeemInviteResponseSchema,
  secretHistoryResponseSchema,
  secretResponseSchema,
  secretsResponseSchema,
  transferOwnershipResponseSchema,
  writeSecretsResponseSchema,
  type ASSIGNABLE_ROLES,
  type CHANGE_REQUEST_STATUSES,
  type ChangeRequest,
  type Environment,
  type WriteSecretsRequest,
  type WriteSecretsResponse,
} from '../../contract/index.js';
import type { DebugLog } from '../debug/debug-log.js';
import { KryptError } from '../errors.js';
import { ConflictError, errorFromResponse } from './api-errors.js';
import { parseApiUrl, send, type HttpRequest } from './transport.js';

export { ConflictError, errorFromResponse };

export interface ClientOptions {
  apiUrl: string;
  /** API key; absent only for the unauthenticated calls (redeeming an invite). */
  token?: string;
  /** CLI command name, sent for the audit log. */
  command?: string;
  userAgent?: string;
  timeoutMs?: number;
  /** A private CA (PEM file) trusted besides Node's roots (--ca-file / KRYPT_CA_FILE). */
  caFile?: string | undefined;
  /** KRYPT_DEBUG sink for request lines (method, path, status, duration). */
  debug?: DebugLog | undefined;
}

/** The typed Krypt API client: every response is parsed with the contract's zod schemas. */
export function createApiClient(options: ClientOptions) {
  const base = parseApiUrl(options.apiUrl);
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'krypt-cli',
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.command) headers[CLI_COMMAND_HEADER] = options.command;

  async function call<S extends z.ZodType>(method: HttpRequest['method'], path: string, schema: S | undefined, body?: unknown): Promise<z.infer<S>> {
    const url = new URL(base.pathname.replace(/\/$/, '') + path, base);
    const reqHeaders = { ...headers };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      reqHeaders['content-type'] = 'application/json';
      reqHeaders['content-length'] = String(Buffer.byteLength(payload));
    }
    const res = await send({ method, url, headers: reqHeaders, body: payload, timeoutMs: options.timeoutMs ?? 30_000, debug: options.debug, caFile: options.caFile });
    if (res.status >= 400) throw errorFromResponse(res.status, res.body);
    if (!schema) return undefined as z.infer<S>;
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      throw unexpected(res.status);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw unexpected(res.status);
    return parsed.data;
  }

  const project = (slug: string) => `/v1/projects/${encodeURIComponent(slug)}`;
  const env = (slug: string, environment: Environment) => `${project(slug)}/environments/${environment}`;
  const member = (slug: string, email: string) => `${project(slug)}/members/${encodeURIComponent(email)}`;
  const cr = (slug: string, id: number) => `${project(slug)}/change-requests/${id}`;
  const secret = (slug: string, environment: Environment, key: string) => `${env(slug, environment)}/secrets/${encodeURIComponent(key)}`;

  return {
    me: () => call('GET', '/v1/me', meResponseSchema),
    listProjects: () => call('GET', '/v1/projects', projectListResponseSchema),
    createProject: (slug: string) => call('POST', '/v1/projects', projectResponseSchema, { slug }),
    deleteProject: (slug: string) => call('DELETE', `/v1/projects/${encodeURIComponent(slug)}`, undefined),
    getSecrets: (slug: string, environment: Environment) => call('GET', `${env(slug, environment)}/secrets`, secretsResponseSchema),
    listKeys: (slug: string, environment: Environment) => call('GET', `${env(slug, environment)}/keys`, keysResponseSchema),
    getSecret: (slug: string, environment: Environment, key: string) => call('GET', secret(slug, environment, key), secretResponseSchema),
    /** Applied, or (a Member writing production) a pending change request. */
    writeSecrets: (slug: string, environment: Environment, body: WriteSecretsRequest) =>
      call('PATCH', `${env(slug, environment)}/secrets`, writeSecretsResponseSchema, body),
    secretHistory: (slug: string, environment: Environment, key: string, reveal = false) =>
      call('GET', `${secret(slug, environment, key)}/history${query({ reveal: reveal || undefined })}`, secretHistoryResponseSchema),
    /** Writes version N's value as a new version; subject to the same change-request rule as any write. */
    rollbackSecret: (slug: string, environment: Environment, key: string, version: number) =>
      call('POST', `${secret(slug, environment, key)}/rollback`, writeSecretsResponseSchema, { version }),

    listApiKeys: () => call('GET', '/v1/keys', apiKeyListResponseSchema),
    createApiKey: (body: CreateApiKeyInput) => call('POST', '/v1/keys', createApiKeyResponseSchema, compact(body)),
    revokeApiKey: (id: string) => call('DELETE', `/v1/keys/${encodeURIComponent(id)}`, undefined),

    listMembers: (slug: string) => call('GET', `${project(slug)}/members`, membersResponseSchema),
    createInvite: (slug: string, body: { email: string; role: AssignableRole; expiresInSeconds?: number }) =>
      call('POST', `${project(slug)}/invites`, createInviteResponseSchema, compact(body)),
    removeMember: (slug: string, email: string) => call('DELETE', member(slug, email), undefined),
    setMemberRole: (slug: string, email: string, role: AssignableRole) => call('PATCH', member(slug, email), memberResponseSchema, { role }),
    transferOwnership: (slug: string, email: string) =>
      call('POST', `${project(slug)}/transfer-ownership`, transferOwnershipResponseSchema, { email }),
    listInvites: (slug: string) => call('GET', `${project(slug)}/invites`, invitesResponseSchema),
    revokeInvite: (slug: string, id: string) => call('DELETE', `${project(slug)}/invites/${encodeURIComponent(id)}`, undefined),
    /** Unauthenticated: the one-time code is the credential; creates a new account only. */
    redeemInvite: (code: string, name?: string) => call('POST', '/v1/invites/redeem', redeemInviteResponseSchema, compact({ code, name })),
    /** Accepts an invite for the signed-in account (an email that already has an account). */
    acceptInvite: (code: string) => call('POST', '/v1/invites/accept', acceptInviteResponseSchema, { code }),

    listChangeRequests: (slug: string, status?: ChangeRequestStatus) =>
      call('GET', `${project(slug)}/change-requests${query({ status })}`, changeRequestListResponseSchema),
    getChangeRequest: (slug: string, id: number, reveal = false) =>
      call('GET', `${cr(slug, id)}${query({ reveal: reveal || undefined })}`, changeRequestShowResponseSchema),
    approveChangeRequest: (slug: string, id: number, force = false) => call('POST', `${cr(slug, id)}/approve`, changeRequestResponseSchema, { force }),
    rejectChangeRequest: (slug: string, id: number, reason: string) => call('POST', `${cr(slug, id)}/reject`, changeRequestResponseSchema, { reason }),
    cancelChangeRequest: (slug: string, id: number) => call('POST', `${cr(slug, id)}/cancel`, changeRequestResponseSchema),

    listAudit: (slug: string, filter: AuditFilter = {}) => call('GET', `${project(slug)}/audit${query({ ...filter })}`, auditResponseSchema),
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
  /** ISO 8601 time. */
  since?: string;
  limit?: number;
}

/** A write that was not applied but became a pending change request (HTTP 202). */
export function isPendingWrite(result: WriteSecretsResponse): result is { changeRequest: ChangeRequest } {
  return 'changeRequest' in result;
}

/** `?a=1&b=x` from the defined entries (URL-encoded), or '' when there are none. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Drops undefined properties so request bodies stay valid under the contract's strict schemas. */
function compact<T extends object>(body: T): T {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as T;
}

function unexpected(status: number): KryptError {
  return new KryptError('bad_response', `unexpected response from the server (HTTP ${status})`, {
    kind: 'remote',
    hint: 'check that --api-url points at a Krypt server of a compatible version',
  });
}
