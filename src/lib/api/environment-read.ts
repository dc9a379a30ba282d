import { parseSecretsBody } from '../../contract/route-guards.js';
import { ROUTES, routePath } from '../../contract/routes.js';
import { badResponse, errorFromResponse, parseJsonBody } from './api-errors.js';
import { apiHeaders, parseApiUrl, requestUrl, send, type ConnectionOptions } from './transport.js';

// The bulk read of one environment, on the start-up path of `krypt run` / `get` / `pull`: node:http(s)
// only, the request built from the contract's zod-free route table and the body checked by its
// zod-free guard, and a conditional request when a copy is held.

export interface EnvironmentReadOptions extends ConnectionOptions {
  apiUrl: string;
  token: string;
  project: string;
  environment: string;
  command: string;
  /** The revision of the copy the caller holds: sent as If-None-Match. */
  knownRevision?: number;
}

export type EnvironmentRead =
  /** `damaged`: keys the server could not read back (their stored row failed its integrity check). */
  | { status: 'fresh'; revision: number; secrets: Record<string, string>; damaged: string[] }
  | { status: 'not-modified'; revision: number };

/** GET .../environments/:env/secrets, answering 'not-modified' on a 304 for the known revision. */
export async function readEnvironment(opts: EnvironmentReadOptions): Promise<EnvironmentRead> {
  const url = requestUrl(parseApiUrl(opts.apiUrl), routePath('getSecrets', { slug: opts.project, env: opts.environment }));
  const headers = apiHeaders({ token: opts.token, command: opts.command });
  if (opts.knownRevision !== undefined) headers['if-none-match'] = `"${opts.knownRevision}"`;
  const { method } = ROUTES.getSecrets;
  const res = await send({ method, url, headers, timeoutMs: opts.timeoutMs ?? 15_000, debug: opts.debug, caFile: opts.caFile });
  if (res.status === 304 && opts.knownRevision !== undefined) return { status: 'not-modified', revision: opts.knownRevision };
  if (res.status >= 400) throw errorFromResponse(res.status, res.body);
  const body = res.status === 200 ? parseSecretsBody(parseJsonBody(res.body, res.status)) : undefined;
  if (!body) throw badResponse(res.status);
  return { status: 'fresh', revision: body.revision, secrets: body.secrets, damaged: body.damaged ?? [] };
}
