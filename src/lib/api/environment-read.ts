import { CLI_COMMAND_HEADER } from '../../contract/constants.js';
import { errorFromResponse } from './api-errors.js';
import { parseApiUrl, send } from './transport.js';
import type { DebugLog } from '../debug/debug-log.js';
import { KryptError } from '../errors.js';

// The bulk read of one environment, on the start-up path of `krypt run` / `get` / `pull`: node:http(s)
// only, the response checked by hand (no zod), and a conditional request when a copy is held.

export interface EnvironmentReadOptions {
  apiUrl: string;
  token: string;
  project: string;
  environment: string;
  command: string;
  /** The revision of the copy the caller holds: sent as If-None-Match. */
  knownRevision?: number;
  timeoutMs?: number;
  /** A private CA (PEM file) trusted besides Node's roots (--ca-file / KRYPT_CA_FILE). */
  caFile?: string | undefined;
  debug?: DebugLog | undefined;
}

export type EnvironmentRead =
  /** `damaged`: keys the server could not read back (their stored row failed its integrity check). */
  | { status: 'fresh'; revision: number; secrets: Record<string, string>; damaged: string[] }
  | { status: 'not-modified'; revision: number };

/** GET .../environments/:env/secrets, answering 'not-modified' on a 304 for the known revision. */
export async function readEnvironment(opts: EnvironmentReadOptions): Promise<EnvironmentRead> {
  const base = parseApiUrl(opts.apiUrl);
  const path = `/v1/projects/${encodeURIComponent(opts.project)}/environments/${encodeURIComponent(opts.environment)}/secrets`;
  const headers: Record<string, string> = {
    authorization: `Bearer ${opts.token}`,
    accept: 'application/json',
    'user-agent': `krypt-cli node/${process.versions.node}`,
    [CLI_COMMAND_HEADER]: opts.command,
  };
  if (opts.knownRevision !== undefined) headers['if-none-match'] = `"${opts.knownRevision}"`;
  const url = new URL(base.pathname.replace(/\/$/, '') + path, base);
  const res = await send({ method: 'GET', url, headers, timeoutMs: opts.timeoutMs ?? 15_000, debug: opts.debug, caFile: opts.caFile });
  if (res.status === 304 && opts.knownRevision !== undefined) return { status: 'not-modified', revision: opts.knownRevision };
  if (res.status >= 400) throw errorFromResponse(res.status, res.body);
  let body: { revision?: unknown; secrets?: unknown; damaged?: unknown } | null;
  try {
    body = JSON.parse(res.body) as typeof body;
  } catch {
    body = null;
  }
  const secrets = body?.secrets;
  const damaged = body?.damaged ?? [];
  const valid =
    res.status === 200 &&
    typeof body?.revision === 'number' &&
    typeof secrets === 'object' &&
    secrets !== null &&
    Object.values(secrets).every((v) => typeof v === 'string') &&
    Array.isArray(damaged) &&
    damaged.every((k) => typeof k === 'string');
  if (!valid) {
    throw new KryptError('bad_response', `unexpected response from the server (HTTP ${res.status})`, {
      kind: 'remote',
      hint: 'check that --api-url points at a Krypt server of a compatible version',
    });
  }
  return { status: 'fresh', revision: body!.revision as number, secrets: secrets as Record<string, string>, damaged: damaged as string[] };
}
