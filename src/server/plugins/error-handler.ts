import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { STATUS_OF, type ApiError, type ApiErrorCode } from '../../contract/index.js';
import { IntegrityError } from '../crypto/value-crypto.js';
import { RateLimitedError } from '../services/rate-limit-service.js';
import { ServiceError } from '../services/service-error.js';
import { reportError, type ErrorReporter } from './error-reporting.js';

// The one place errors become responses: `{"error":{"code","message","requestId"}}`, never internals.

interface Mapped {
  code: ApiErrorCode;
  message: string;
  keys?: string[] | undefined;
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: { issues?: { message?: string }[]; keys?: string[] };
}

function describeValidation(err: FastifyError & { validation: ValidationIssue[] }): Mapped {
  const context = (err as { validationContext?: string }).validationContext ?? 'body';
  const fields: string[] = [];
  const parts: string[] = [];
  for (const issue of err.validation) {
    const path = (issue.instancePath ?? '').split('/').filter(Boolean).join('.');
    const field = path || (context === 'body' ? 'body' : context);
    // Record keys fail with a generic "Invalid key in record"; the nested issue says why.
    let message = (issue.keyword === 'invalid_key' && issue.params?.issues?.[0]?.message) || issue.message || 'invalid';
    if (!path && context === 'body' && /received (null|undefined)$/.test(message)) message = 'a JSON request body is required';
    fields.push(field);
    parts.push(`${field}: ${message}`);
  }
  return { code: 'validation', message: parts.join('; ') || 'invalid request', keys: [...new Set(fields)] };
}

function mapError(err: FastifyError): Mapped {
  if (err instanceof ServiceError) return { code: err.code, message: err.message, keys: err.keys };
  if (err instanceof IntegrityError) return { code: 'internal', message: err.message };
  if (hasZodFastifySchemaValidationErrors(err)) return describeValidation(err as FastifyError & { validation: ValidationIssue[] });
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', message: 'request body is larger than the server accepts' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', message: 'request bodies must be JSON (Content-Type: application/json)' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'validation', message: 'request body length does not match Content-Length' };
    case 'FST_ERR_BAD_URL':
      return { code: 'validation', message: 'the URL is not validly percent-encoded' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { code: 'validation', message: 'a path parameter is too long' };
  }
  if (/forbidden prototype property/.test(err.message)) {
    return { code: 'validation', message: 'request body must not contain "__proto__" or "constructor.prototype"' };
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { code: 'validation', message: 'request body is not valid JSON' };
  }
  const status = err.statusCode ?? 500;
  if (status === 404) return { code: 'not_found', message: 'not found' };
  if (status === 429) return { code: 'rate_limited', message: 'too many requests' };
  if (status >= 400 && status < 500) return { code: 'validation', message: 'invalid request' };
  return { code: 'internal', message: 'internal server error' };
}

/** Sends the error envelope for `mapped` with its status and the request id. */
export function sendError(req: FastifyRequest, reply: FastifyReply, mapped: Mapped): FastifyReply {
  const body: ApiError = { error: { code: mapped.code, message: mapped.message, requestId: String(req.id) } };
  if (mapped.keys !== undefined) body.error.keys = mapped.keys;
  return reply.code(STATUS_OF[mapped.code]).type('application/json; charset=utf-8').send(body);
}

/** Fastify's `frameworkErrors`: router failures (bad percent-encoding, overlong parameter) before any hook runs. */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', req.id);
  sendError(req, reply, mapError(err));
}

/** Installs the error and not-found handlers on the root instance; 5xx errors also go to `reporter` (Sentry), when given. */
export function registerErrorHandling(app: FastifyInstance, reporter?: ErrorReporter): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const mapped = mapError(err);
    if (mapped.code === 'internal') {
      // err objects carry no secret values (bodies are never attached); log for the operator only.
      req.log.error({ err }, 'request failed');
    } else {
      req.log.info({ code: mapped.code }, 'request refused');
    }
    if (err instanceof RateLimitedError) reply.header('retry-after', String(err.retryAfterSeconds));
    const status = STATUS_OF[mapped.code];
    if (reporter && status >= 500) reportError(reporter, err, req, status);
    return sendError(req, reply, mapped);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` }),
  );
}
