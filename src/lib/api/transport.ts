import type { IncomingMessage, RequestOptions } from 'node:http';
import { isIP } from 'node:net';
import { CLI_COMMAND_HEADER } from '../../contract/constants.js';
import { describeUrl, elapsedMs, type DebugLog } from '../debug/debug-log.js';
import { KryptError } from '../errors.js';
import { tlsFailure, tlsRequestOptions } from './tls.js';

// The only code that speaks HTTP. node:http / node:https on purpose: global fetch and undici add
// 100-165 ms and ~40-50 MB to every one-shot command on Node 20 (STACK.md).

export interface HttpResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** A private CA (PEM file) trusted besides Node's roots; read only for an https URL. */
  caFile?: string | undefined;
  /** KRYPT_DEBUG: receives method, path, status and duration (never headers, bodies or query values). */
  debug?: DebugLog | undefined;
}

/** How a caller of the API reaches the server, besides its URL. */
export interface ConnectionOptions {
  timeoutMs?: number;
  /** A private CA (PEM file) trusted besides Node's roots (--ca-file / KRYPT_CA_FILE). */
  caFile?: string | undefined;
  /** KRYPT_DEBUG sink for request lines (method, path, status, duration). */
  debug?: DebugLog | undefined;
}

/** Validates an API URL: https anywhere, plain http only for loopback hosts. */
export function parseApiUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new KryptError('invalid_api_url', `"${raw}" is not a valid URL`, { hint: 'use e.g. https://krypt.example.com' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KryptError('invalid_api_url', `unsupported URL scheme "${url.protocol}"`, { hint: 'use https://' });
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new KryptError('insecure_api_url', `refusing plain http:// for non-loopback host ${url.hostname}`, {
      hint: 'use https:// (plain http is only accepted for 127.0.0.1, ::1 and localhost)',
    });
  }
  return url;
}

/** The URL of an API path (`/v1/...`) on the server at `base`, which may itself sit below a path prefix. */
export function requestUrl(base: URL, path: string): URL {
  return new URL(base.pathname.replace(/\/$/, '') + path, base);
}

/** The user agent of every request the CLI sends. */
export const USER_AGENT = `krypt-cli node/${process.versions.node}`;

/** The headers of every API request: JSON wanted, who is asking (user agent, key) and for which command (the audit log records it). */
export function apiHeaders(opts: { token?: string | undefined; command?: string | undefined; userAgent?: string | undefined }): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': opts.userAgent ?? USER_AGENT };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.command) headers[CLI_COMMAND_HEADER] = opts.command;
  return headers;
}

/** True for localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Sends one request; network and TLS failures become remote KryptErrors naming the host, never the body. */
export async function send(req: HttpRequest): Promise<HttpResponse> {
  const mod = req.url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const options: RequestOptions & { minVersion?: 'TLSv1.3'; ca?: string[]; rejectUnauthorized?: boolean } = {
    method: req.method,
    headers: req.headers,
    timeout: req.timeoutMs,
  };
  if (req.url.protocol === 'https:') Object.assign(options, await tlsRequestOptions(req.caFile));
  const debug = req.debug;
  const started = debug ? performance.now() : 0;
  return new Promise<HttpResponse>((resolve, reject) => {
    const request = mod.request(req.url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        debug?.(`http ${req.method} ${describeUrl(req.url)} -> ${res.statusCode} in ${elapsedMs(started)}`);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => reject(networkError(req.url, err)));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    request.on('error', (err: Error & { code?: string }) => {
      debug?.(`http ${req.method} ${describeUrl(req.url)} failed (${err.code ?? 'error'}) after ${elapsedMs(started)}`);
      reject(networkError(req.url, err));
    });
    request.end(req.body);
  });
}

function networkError(url: URL, err: Error & { code?: string }): KryptError {
  const tls = tlsFailure(url, err);
  if (tls) return tls;
  const why = err.code ?? err.message;
  return new KryptError('network', `cannot reach ${url.origin}: ${why}`, {
    kind: 'remote',
    hint: 'check --api-url / KRYPT_API_URL and that the server is running',
    cause: err,
    unavailable: true,
  });
}
