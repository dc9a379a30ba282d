import { KryptError } from '../errors.js';

// API error envelopes -> KryptError. Checked by hand, not with the contract's zod schema: `krypt run`
// and `krypt get` map errors on their start-up path, where loading zod costs ~80 ms.

/** A conflict from a write: the keys that changed since the base revision. */
export class ConflictError extends KryptError {
  constructor(message: string, readonly keys: string[]) {
    super('conflict', message, { kind: 'remote', hint: 'pull the latest values, or run the command again to re-read them' });
  }
}

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
  const parsed = parseEnvelope(body);
  const code = parsed?.error.code ?? `http_${status}`;
  const message = parsed?.error.message ?? `server answered HTTP ${status}`;
  if (code === 'conflict') return new ConflictError(message, parsed?.error.keys ?? []);
  const kind = status === 401 || status === 403 ? 'auth' : 'remote';
  const requestId = parsed?.error.requestId ? ` (request ${parsed.error.requestId})` : '';
  return new KryptError(code, status >= 500 ? message + requestId : message, {
    kind,
    unavailable: status >= 500,
    hint: HINTS[code] ?? 'try again; if it persists, give the request id to your server operator',
  });
}

/** A response the contract does not describe (an undocumented status, or a body failing its schema). */
export function badResponse(status: number): KryptError {
  return new KryptError('bad_response', `unexpected response from the server (HTTP ${status})`, {
    kind: 'remote',
    hint: 'check that --api-url points at a Krypt server of a compatible version',
  });
}

interface Envelope {
  error: { code: string; message: string; requestId?: string; keys?: string[] };
}

function parseEnvelope(body: string): Envelope | undefined {
  try {
    const e = (JSON.parse(body) as { error?: Record<string, unknown> } | null)?.error;
    if (!e || typeof e.code !== 'string' || typeof e.message !== 'string') return undefined;
    const keys = Array.isArray(e.keys) && e.keys.every((k) => typeof k === 'string') ? (e.keys as string[]) : undefined;
    return { error: { code: e.code, message: e.message, ...(typeof e.requestId === 'string' ? { requestId: e.requestId } : {}), ...(keys ? { keys } : {}) } };
  } catch {
    return undefined;
  }
}

/** A response body as JSON, or `bad_response` when it is not JSON. */
export function parseJsonBody(text: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badResponse(status);
  }
}
