import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { EVENTS_HEARTBEAT_MS, REVISION_EVENT, type Environment } from '../../contract/constants.js';
import { ROUTES, routePath } from '../../contract/routes.js';
import { errorFromResponse } from '../api/api-errors.js';
import { tlsFailure, tlsRequestOptions } from '../api/tls.js';
import { parseApiUrl, requestUrl, USER_AGENT } from '../api/transport.js';
import { KryptError } from '../errors.js';
import { createSseParser } from './sse-parser.js';

// The client of the server's change stream (GET .../environments/:env/events, Server-Sent Events)
// over node:http(s): one long-lived request, re-opened with exponential backoff when it drops.

export interface WatchRevisionsOptions {
  apiUrl: string;
  token: string;
  /** A private CA (PEM file) trusted besides Node's roots (--ca-file / KRYPT_CA_FILE). */
  caFile?: string | undefined;
  project: string;
  environment: Environment;
  /**
   * Called with the environment's revision on every (re)connect and after every change, whenever it
   * differs from the last one delivered. Calls never overlap: revisions arriving meanwhile are
   * coalesced to the newest. Async callbacks are awaited.
   */
  onRevision: (revision: number) => void | Promise<void>;
  /** Ends the watch: watchRevisions then resolves. */
  signal: AbortSignal;
  /** A revision already known (e.g. from the initial fetch): not delivered again. */
  knownRevision?: number;
  /** Told when a connection fails or drops, with the delay before the next attempt. */
  onDisconnect?: (err: KryptError, retryInMs: number) => void;
  /** Told when onRevision throws or rejects; without it, the watch stops with that error. */
  onError?: (err: unknown) => void;
  userAgent?: string;
  /** Reconnect delays: doubling from initialMs (500) to maxMs (30 000), back to initialMs after a healthy connection. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** A connection silent for this long (no event, no ping) is dropped and re-opened (default 3 heartbeats). */
  idleTimeoutMs?: number;
}

/** How one connection ended. */
interface Outcome {
  /** The stream opened and delivered the current revision. */
  healthy: boolean;
  error: KryptError;
}

/** A refusal that retrying cannot fix (bad key, no access, no such project, not a Krypt server). */
class FatalWatchError extends Error {
  constructor(readonly error: KryptError) {
    super(error.message);
  }
}

/** The 401/403/4xx answers that stop the watch; 408, 429 and 5xx (503 while a server drains) are retried. */
const isFatalStatus = (status: number): boolean => status >= 400 && status < 500 && status !== 408 && status !== 429;

function networkError(url: URL, err: Error & { code?: string }): KryptError {
  return new KryptError('network', `lost the change stream from ${url.origin}: ${err.code ?? err.message}`, {
    kind: 'remote',
    hint: 'check --api-url / KRYPT_API_URL and that the server is running',
    cause: err,
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Watches an environment's revision until `signal` aborts (then resolves). Reconnects with
 * exponential backoff on network errors, 5xx, 408/429 and dropped or silent streams; rejects with
 * a KryptError on 401/403 (kind 'auth') and other 4xx (e.g. 404: no such project), and when
 * onRevision fails without an onError.
 */
export async function watchRevisions(opts: WatchRevisionsOptions): Promise<void> {
  const base = parseApiUrl(opts.apiUrl);
  const url = requestUrl(base, routePath('watchEnvironment', { slug: opts.project, env: opts.environment }));
  const initialMs = opts.backoff?.initialMs ?? 500;
  const maxMs = opts.backoff?.maxMs ?? 30_000;
  // Aborted by the caller, or by a failed onRevision (which must not wait for the stream to drop).
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  if (opts.signal.aborted) stop.abort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });
  const deliver = createDelivery(opts.onRevision, opts.knownRevision, stop.signal, (err) => {
    if (!opts.onError) return false;
    opts.onError(err);
    return true;
  });
  deliver.onFailure(() => stop.abort());
  let delay = initialMs;
  try {
    while (!stop.signal.aborted) {
      const outcome = await connectOnce(url, opts, stop.signal, deliver.offer).catch((err: unknown) => {
        throw err instanceof FatalWatchError ? err.error : err;
      });
      if (stop.signal.aborted) break;
      if (outcome.healthy) delay = initialMs;
      // Jitter spreads the reconnects of many watchers after a server restart.
      const wait = Math.min(maxMs, Math.round(delay * (0.8 + Math.random() * 0.4)));
      delay = Math.min(delay * 2, maxMs);
      opts.onDisconnect?.(outcome.error, wait);
      await sleep(wait, stop.signal);
    }
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
  }
  const failure = deliver.failure();
  if (failure !== undefined) throw failure.error;
}

/**
 * Serialised, coalesced calls of onRevision, skipping the revision delivered last. `handled(err)`
 * says whether a failed call was reported elsewhere; if not, delivery stops and onFailure fires.
 */
function createDelivery(
  onRevision: WatchRevisionsOptions['onRevision'],
  knownRevision: number | undefined,
  signal: AbortSignal,
  handled: (err: unknown) => boolean,
) {
  let delivered = knownRevision;
  let latest = knownRevision;
  let pending: number | undefined;
  let running = false;
  let failure: { error: unknown } | undefined;
  let failed = (): void => undefined;

  async function drain(): Promise<void> {
    running = true;
    while (pending !== undefined && !signal.aborted && !failure) {
      const revision = pending;
      pending = undefined;
      try {
        await onRevision(revision);
        delivered = revision;
      } catch (err) {
        // Forget it, so that the next announcement of this revision tries again.
        if (latest === revision) latest = delivered;
        if (!handled(err)) {
          failure = { error: err };
          failed();
        }
      }
    }
    running = false;
  }

  return {
    offer(revision: number): void {
      if (revision === latest || failure) return;
      latest = revision;
      pending = revision;
      if (!running) void drain();
    },
    onFailure(fn: () => void): void {
      failed = fn;
    },
    failure: () => failure,
  };
}

/** Opens the stream once and resolves when it ends; throws FatalWatchError for refusals. */
async function connectOnce(url: URL, opts: WatchRevisionsOptions, signal: AbortSignal, offer: (revision: number) => void): Promise<Outcome> {
  const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const options: RequestOptions & { minVersion?: 'TLSv1.3'; ca?: string[] } = {
    method: ROUTES.watchEnvironment.method,
    headers: {
      accept: 'text/event-stream',
      authorization: `Bearer ${opts.token}`,
      'user-agent': opts.userAgent ?? USER_AGENT,
      'cache-control': 'no-store',
    },
    // Socket inactivity: the server pings every EVENTS_HEARTBEAT_MS, so silence means a dead link.
    timeout: opts.idleTimeoutMs ?? 3 * EVENTS_HEARTBEAT_MS,
    agent: false,
  };
  if (url.protocol === 'https:') Object.assign(options, await tlsRequestOptions(opts.caFile));

  return new Promise<Outcome>((resolve, reject) => {
    let healthy = false;
    let settled = false;
    const finish = (error: KryptError | FatalWatchError): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      request.destroy();
      if (error instanceof FatalWatchError) reject(error);
      else resolve({ healthy, error });
    };
    const onAbort = (): void => finish(new KryptError('aborted', 'watch stopped', { kind: 'cancelled' }));
    const request: ClientRequest = mod.request(url, options, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 64 * 1024) body += chunk;
        });
        res.on('end', () => {
          const error = errorFromResponse(status, body);
          finish(isFatalStatus(status) ? new FatalWatchError(error) : error);
        });
        res.on('error', (err) => finish(networkError(url, err)));
        return;
      }
      if (!/^text\/event-stream\b/i.test(String(res.headers['content-type'] ?? ''))) {
        finish(
          new FatalWatchError(
            new KryptError('bad_response', 'the server does not offer a change stream (expected text/event-stream)', {
              kind: 'remote',
              hint: 'check that --api-url points at a Krypt server of a compatible version',
            }),
          ),
        );
        return;
      }
      res.setEncoding('utf8');
      const parser = createSseParser((event) => {
        if (event.event !== REVISION_EVENT) return;
        const revision = parseRevision(event.data);
        if (revision === undefined) return;
        healthy = true;
        offer(revision);
      });
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('end', () => finish(networkError(url, new Error('stream ended by the server'))));
      res.on('error', (err) => finish(networkError(url, err)));
      res.on('close', () => finish(networkError(url, new Error('connection closed'))));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('no data or heartbeat in time'), { code: 'ETIMEDOUT' })));
    request.on('error', (err: Error & { code?: string }) => {
      // An untrusted certificate or a TLS version mismatch is a configuration error: retrying cannot fix it.
      const tls = tlsFailure(url, err);
      finish(tls ? new FatalWatchError(tls) : networkError(url, err));
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    request.end();
  });
}

/** `{"revision":N}` -> N; anything else is ignored (checked by hand: no zod on this path). */
function parseRevision(data: string): number | undefined {
  try {
    const revision = (JSON.parse(data) as { revision?: unknown } | null)?.revision;
    return typeof revision === 'number' && Number.isSafeInteger(revision) && revision >= 0 ? revision : undefined;
  } catch {
    return undefined;
  }
}
