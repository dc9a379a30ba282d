import type { z } from 'zod';
import {
  apiErrorSchema,
  apiKeyListResponseSchema,
  CLI_COMMAND_HEADER,
  createApiKeyResponseSchema,
  keysResponseSchema,
  meResponseSchema,
  projectListResponseSchema,
  projectResponseSchema,
  secretResponseSchema,
  secretsResponseSchema,
  writeSecretsResponseSchema,
  type Environment,
  type WriteSecretsRequest,
} from '../../contract/index.js';
import { KryptError } from '../errors.js';
import { parseApiUrl, send, type HttpRequest } from './transport.js';

export interface ClientOptions {
  apiUrl: string;
  token: string;
  /** CLI command name, sent for the audit log. */
  command?: string;
  userAgent?: string;
  timeoutMs?: number;
}

/** A conflict from a write: the keys that changed since the base revision. */
export class ConflictError extends KryptError {
  constructor(message: string, readonly keys: string[]) {
    super('conflict', message, { kind: 'remote', hint: 'pull the latest values, or run the command again to re-read them' });
  }
}

/** The typed Krypt API client: every response is parsed with the contract's zod schemas. */
export function createApiClient(options: ClientOptions) {
  const base = parseApiUrl(options.apiUrl);
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token}`,
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'krypt-cli',
  };
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
    const res = await send({ method, url, headers: reqHeaders, body: payload, timeoutMs: options.timeoutMs ?? 30_000 });
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

  const env = (slug: string, environment: Environment) =>
    `/v1/projects/${encodeURIComponent(slug)}/environments/${environment}`;

  return {
    me: () => call('GET', '/v1/me', meResponseSchema),
    listProjects: () => call('GET', '/v1/projects', projectListResponseSchema),
    createProject: (slug: string) => call('POST', '/v1/projects', projectResponseSchema, { slug }),
    deleteProject: (slug: string) => call('DELETE', `/v1/projects/${encodeURIComponent(slug)}`, undefined),
    getSecrets: (slug: string, environment: Environment) => call('GET', `${env(slug, environment)}/secrets`, secretsResponseSchema),
    listKeys: (slug: string, environment: Environment) => call('GET', `${env(slug, environment)}/keys`, keysResponseSchema),
    getSecret: (slug: string, environment: Environment, key: string) =>
      call('GET', `${env(slug, environment)}/secrets/${encodeURIComponent(key)}`, secretResponseSchema),
    writeSecrets: (slug: string, environment: Environment, body: WriteSecretsRequest) =>
      call('PATCH', `${env(slug, environment)}/secrets`, writeSecretsResponseSchema, body),
    listApiKeys: () => call('GET', '/v1/keys', apiKeyListResponseSchema),
    createApiKey: (name: string, expiresInSeconds?: number) =>
      call('POST', '/v1/keys', createApiKeyResponseSchema, { name, ...(expiresInSeconds ? { expiresInSeconds } : {}) }),
    revokeApiKey: (id: string) => call('DELETE', `/v1/keys/${encodeURIComponent(id)}`, undefined),
  };
}
export type ApiClient = ReturnType<typeof createApiClient>;

const HINTS: Record<string, string> = {
  unauthorized: 'run `krypt login` (or check KRYPT_TOKEN)',
  forbidden: 'ask an owner or admin of the project for access',
  not_found: 'check the name; `krypt list` shows your projects',
  validation: 'check the command arguments',
  payload_too_large: 'send fewer or smaller values',
  rate_limited: 'wait a moment and try again',
};

/** Maps an API error envelope to a KryptError: 401/403 are auth (exit 4), everything else remote (exit 2). */
export function errorFromResponse(status: number, body: string): KryptError {
  let parsed: z.infer<typeof apiErrorSchema> | undefined;
  try {
    const result = apiErrorSchema.safeParse(JSON.parse(body));
    parsed = result.success ? result.data : undefined;
  } catch {
    parsed = undefined;
  }
  const code = parsed?.error.code ?? `http_${status}`;
  const message = parsed?.error.message ?? `server answered HTTP ${status}`;
  if (code === 'conflict') return new ConflictError(message, parsed?.error.keys ?? []);
  const kind = status === 401 || status === 403 ? 'auth' : 'remote';
  const requestId = parsed?.error.requestId ? ` (request ${parsed.error.requestId})` : '';
  return new KryptError(code, status >= 500 ? message + requestId : message, {
    kind,
    hint: HINTS[code] ?? 'try again; if it persists, give the request id to your server operator',
  });
}

function unexpected(status: number): KryptError {
  return new KryptError('bad_response', `unexpected response from the server (HTTP ${status})`, {
    kind: 'remote',
    hint: 'check that --api-url points at a Krypt server of a compatible version',
  });
}
