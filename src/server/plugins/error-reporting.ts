import http from 'node:http';
import https from 'node:https';
import type { FastifyRequest } from 'fastify';
import type { Event, Exception, TransportMakeRequestResponse, TransportRequest } from '@sentry/core';
import { CLI_COMMAND_HEADER } from '../../contract/index.js';
import { INVITE_PREFIX, SESSION_TOKEN_PREFIX, SIGN_IN_CODE_PREFIX, TOKEN_PREFIX, WEBHOOK_SECRET_PREFIX } from '../crypto/api-token.js';

// Unexpected server errors (5xx) reported to Sentry (`--sentry-dsn`). Built from @sentry/core's parts
// (stack parser, envelope, transport with its rate limits and buffer) over node:http(s), not from its
// Client: the event holds only what buildEvent writes (no integrations patching globals or reading
// the environment, no global scope adding breadcrumbs or request data), and scrubEvent passes over
// all of it before it leaves. @sentry/core takes ~250 ms to load: it is imported by
// createErrorReporter, so a server without a DSN never loads it.

/** What the error handler knows about the failed request. */
export interface ErrorContext {
  requestId: string;
  /** The route template (`/v1/projects/:slug/...`), never the concrete URL. */
  route: string;
  method: string;
  status: number;
  /** Strings the request carried (credentials, cookies, query and body values): replaced wherever they appear in the report; never sent. */
  carried?: readonly string[];
}

export interface ErrorReporter {
  /** Sends one scrubbed event; resolves once Sentry accepted it, rejects when it could not be delivered. */
  capture(err: unknown, context: ErrorContext): Promise<void>;
  /** Waits up to `timeoutMs` for reports in flight, then drops the connection; later captures are refused. */
  close(timeoutMs: number): Promise<void>;
}

export interface ErrorReporterOptions {
  dsn: string;
  /** `krypt@<version>`, `+<commit>` when the build stamped one. */
  release: string;
  environment?: string;
  /** How long one delivery may take (default 5 s). */
  timeoutMs?: number;
}

export const REDACTED = '[redacted]';

// Sentry's DSN form with a numeric project id. Checked before @sentry/core sees the DSN: its parser
// prints a DSN it cannot parse to the console, and the DSN holds the project's key.
const DSN = /^https?:\/\/\w+(?::\w*)?@(?:\[[:.%\w]+\]|[\w.-]+)(?::\d{1,5})?\/(?:[\w.-]+\/)*\d+$/;

/** Whether `text` is a Sentry DSN (`https://KEY@HOST/PROJECT_ID`). */
export const isSentryDsn = (text: string): boolean => DSN.test(text);

// Krypt's credentials (API keys, invite codes, session tokens, sign-in codes) and Standard Webhooks
// signing secrets (`whsec_` + base64), with whatever follows the prefix.
const CREDENTIAL = new RegExp(`(?:${[TOKEN_PREFIX, INVITE_PREFIX, SESSION_TOKEN_PREFIX, SIGN_IN_CODE_PREFIX, WEBHOOK_SECRET_PREFIX].join('|')})[\\w+/=-]*`, 'g');
// An address: no path separator, quote or bracket in it, so `node_modules/@scope/pkg` is left alone.
const EMAIL = /[^\s@/\\:'"<>()[\]{},;]+@[^\s@/\\'"<>()[\]{},;]+/g;
// 32 hex digits or more: the master key (64), keys derived from it, token hashes.
const HEX_RUN = /[0-9a-f]{32,}/gi;
// Dropped at any depth: what a request carried, who sent it, stack frames' source lines and locals.
const DROPPED_KEYS = new Set(['request', 'user', 'headers', 'cookies', 'data', 'query_string', 'vars', 'pre_context', 'context_line', 'post_context', 'sdkProcessingMetadata']);
// Where code is, not what it handled: only the patterns apply (a carried "json" or "true" would cut
// up `json-body.ts`); so do they to keys.
const CODE_LOCATION = new Set(['filename', 'abs_path', 'module', 'function']);
// Shorter carried strings are not searched for: they would cut up everything else.
const MIN_CARRIED_LENGTH = 4;

const patterns = (s: string): string => s.replace(CREDENTIAL, REDACTED).replace(EMAIL, REDACTED).replace(HEX_RUN, REDACTED);

/**
 * Returns a copy of `event` without the DROPPED_KEYS, every string rid of addresses, credentials
 * and long hex runs, and every string but keys and code locations rid of the `carried` strings.
 */
export function scrubEvent<T>(event: T, carried: readonly string[] = []): T {
  const strings: string[] = [];
  const collect = (s: string) => (strings.push(s), s);
  walk(event, collect, collect);
  const text = strings.join('\n');
  // Only the carried strings present are replaced, longest first (one may contain another).
  const present = [...new Set(carried)].filter((c) => c.length >= MIN_CARRIED_LENGTH && text.includes(c)).sort((a, b) => b.length - a.length);
  const scrub = (s: string): string => patterns(present.reduce((out, c) => out.split(c).join(REDACTED), s));
  return walk(event, scrub, patterns) as T;
}

function walk(value: unknown, scrub: (s: string) => string, light: (s: string) => string): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, scrub, light));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !DROPPED_KEYS.has(key))
        .map(([key, v]) => [light(key), walk(v, CODE_LOCATION.has(key) ? light : scrub, light)]),
    );
  }
  return value;
}

// Headers that carry nothing of the caller's: not searched for in reports.
const PLAIN_HEADERS = new Set(['host', 'connection', 'content-type', 'content-length', 'accept', 'accept-encoding', 'accept-language', 'user-agent', 'origin', 'cache-control', 'pragma', 'if-none-match', CLI_COMMAND_HEADER]);

/** The strings `req` carried that could end up in an error message: header values and their parts, the query string's parts, the body's string values. */
export function requestStrings(req: FastifyRequest): string[] {
  const out: string[] = [];
  const valueOf = (part: string) => part.slice(part.indexOf('=') + 1);
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || PLAIN_HEADERS.has(name) || name.startsWith('sec-')) continue;
    // The whole value, its words (`Bearer krypt_...`) and what follows a `name=` (cookies).
    for (const v of [value].flat()) out.push(v, ...v.split(/[\s,;]+/).map(valueOf));
  }
  const q = req.url.indexOf('?');
  if (q !== -1) {
    const query = req.url.slice(q + 1);
    out.push(query);
    for (const part of query.split('&')) out.push(valueOf(part), decoded(valueOf(part)));
  }
  // Iteratively, pushing one by one: a body may nest deeper than the stack, or hold more values than a call takes arguments.
  const pending: unknown[] = [req.body];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') out.push(v);
    else if (v !== null && typeof v === 'object') for (const item of Object.values(v)) pending.push(item);
  }
  return out;
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '));
  } catch {
    return part;
  }
}

/** Hands a failed request's error to `reporter` without waiting; a report that cannot be made is logged at warn. */
export function reportError(reporter: ErrorReporter, err: unknown, req: FastifyRequest, status: number): void {
  let sent: Promise<void>;
  try {
    sent = reporter.capture(err, { requestId: String(req.id), route: req.routeOptions.url ?? 'unknown', method: req.method, status, carried: requestStrings(req) });
  } catch (failure) {
    sent = Promise.reject(failure);
  }
  sent.catch((failure: unknown) => req.log.warn({ err: failure }, 'error report not sent'));
}

/** A reporter sending to the Sentry project of `opts.dsn` (checked: an invalid DSN is refused without being repeated). */
export async function createErrorReporter(opts: ErrorReporterOptions): Promise<ErrorReporter> {
  if (!isSentryDsn(opts.dsn)) throw new Error('not a Sentry DSN (https://KEY@HOST/PROJECT_ID)');
  const core = await import('@sentry/core');
  const { nodeStackLineParser } = await import('@sentry/core/server');
  const dsn = core.makeDsn(opts.dsn)!;
  const sdk = { name: 'sentry.javascript.core', version: core.SDK_VERSION };
  const parseStack = core.createStackParser(nodeStackLineParser());
  const url = new URL(core.getEnvelopeEndpointWithUrlEncodedAuth(dsn, undefined, sdk));
  const agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 2 }) : new http.Agent({ keepAlive: true, maxSockets: 2 });
  const transport = core.createTransport({ recordDroppedEvent: () => undefined, bufferSize: 30 }, postEnvelope(url, agent, opts.timeoutMs ?? 5000));
  const toException = (err: Error) => core.exceptionFromError(parseStack, err);
  let closed = false;
  return {
    async capture(err, context) {
      if (closed) throw new Error('the error reporter is closed');
      const scrubbed = scrubEvent(buildEvent(err, toException), context.carried);
      // Added after the scrub, being the server's own: ids are hex runs, the release holds an @, and
      // a carried string that happens to be part of the route template must not cut it up.
      const event: Event = {
        ...scrubbed,
        platform: 'node',
        level: 'error',
        transaction: `${context.method} ${context.route}`,
        tags: { ...scrubbed.tags, requestId: context.requestId, route: context.route, method: context.method, status: String(context.status) },
        event_id: core.uuid4(),
        timestamp: Date.now() / 1000,
        release: opts.release,
        ...(opts.environment !== undefined ? { environment: opts.environment } : {}),
      };
      const res = await transport.send(core.createEventEnvelope(event, dsn, { sdk }));
      if (res.statusCode !== undefined && (res.statusCode < 200 || res.statusCode >= 300)) throw new Error(`Sentry answered HTTP ${res.statusCode}`);
    },
    async close(timeoutMs) {
      closed = true;
      await transport.flush(timeoutMs);
      agent.destroy();
    },
  };
}

/** What the report says of the error: its type, message, stack frames and code, and its causes'. */
function buildEvent(err: unknown, toException: (err: Error) => Exception): Event {
  const values: Exception[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    values.unshift(current instanceof Error ? toException(current) : { type: typeof current, value: String(current) });
    current = current instanceof Error ? current.cause : undefined;
  }
  values[values.length - 1]!.mechanism = { type: 'krypt.error_handler', handled: false };
  const code = (err as { code?: unknown } | null)?.code;
  return { tags: typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? { code } : {}, exception: { values } };
}

/** The transport's request: POST the envelope to `url`, within `timeoutMs`. */
function postEnvelope(url: URL, agent: http.Agent, timeoutMs: number): (req: TransportRequest) => Promise<TransportMakeRequestResponse> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return ({ body }) =>
    new Promise((resolve, reject) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      const req = request(
        url,
        { method: 'POST', agent, timeout: timeoutMs, headers: { 'content-type': 'application/x-sentry-envelope', 'content-length': String(bytes.byteLength) } },
        (res) => {
          const header = (name: string) => [res.headers[name] ?? null].flat()[0] ?? null;
          res.on('error', reject);
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: { 'x-sentry-rate-limits': header('x-sentry-rate-limits'), 'retry-after': header('retry-after') } }));
          res.resume();
        },
      );
      req.on('timeout', () => req.destroy(new Error(`Sentry did not answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(bytes);
    });
}
