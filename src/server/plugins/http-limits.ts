import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiError, ApiErrorCode } from '../../contract/index.js';
import { HSTS_HEADER } from './hsts.js';

// Connection-level limits: how long a client may take to send a request, and how errors the HTTP
// parser raises before Fastify sees a request (slow or oversized headers, garbage) are answered.

export interface HttpTimeouts {
  /** Whole request, headers and body, from its first byte (default 30 s). 0 disables it. */
  requestTimeoutMs?: number;
  /** Request line and headers (default 10 s); at most requestTimeoutMs. */
  headersTimeoutMs?: number;
  /**
   * An idle keep-alive connection is closed after this (default 72 s: longer than the 60 s idle
   * timeout of common proxies and load balancers, so they close first and never reuse a dead socket).
   */
  keepAliveTimeoutMs?: number;
  /**
   * A socket with no traffic either way is destroyed after this (default 120 s). It must exceed the
   * change stream's heartbeat (EVENTS_HEARTBEAT_MS, 15 s) and keepAliveTimeoutMs.
   */
  idleTimeoutMs?: number;
}

export const DEFAULT_HTTP_TIMEOUTS: Required<HttpTimeouts> = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000,
  idleTimeoutMs: 120_000,
};

/**
 * Applies `timeouts` to the HTTP(S) server before it listens (the same for http and https, which
 * Fastify creates differently). Node checks the header and request timeouts on a timer
 * (connectionsCheckingInterval, 30 s by default, which would let a 10 s limit run to 40 s): here it
 * runs at a quarter of the shorter limit, at least once a second.
 */
export function applyHttpTimeouts(server: Server, timeouts: HttpTimeouts = {}): void {
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...timeouts };
  const headersTimeout = t.requestTimeoutMs > 0 ? Math.min(t.headersTimeoutMs, t.requestTimeoutMs) : t.headersTimeoutMs;
  const shortest = Math.min(...[headersTimeout, t.requestTimeoutMs].filter((ms) => ms > 0), 4000);
  server.requestTimeout = t.requestTimeoutMs;
  server.headersTimeout = headersTimeout;
  server.keepAliveTimeout = t.keepAliveTimeoutMs;
  // Read when the server starts listening; typed only as a createServer option.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(10, Math.floor(shortest / 4));
  server.setTimeout(t.idleTimeoutMs);
}

const PARSER_ERRORS: Record<string, { status: number; code: ApiErrorCode; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', message: 'the request was not received in time' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'payload_too_large', message: 'request headers are larger than the server accepts' },
};

/**
 * Fastify's clientErrorHandler: answers with the API's error envelope (Fastify's default sends its
 * own JSON shape) and HSTS, and closes the socket. No request exists yet, so the request id is fresh.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const mapped = PARSER_ERRORS[err.code ?? ''] ?? { status: 400, code: 'validation', message: 'malformed HTTP request' };
  const body: ApiError = { error: { code: mapped.code, message: mapped.message, requestId: randomUUID() } };
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${mapped.status} ${STATUS_CODES[mapped.status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nStrict-Transport-Security: ${HSTS_HEADER}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}
