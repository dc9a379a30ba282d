// The API's error codes and their HTTP statuses, free of zod: the route table (routes.ts) lists
// them per route, and the start-up path of `krypt run` / `get` loads that table.

/** Stable error codes of the API; the CLI maps them to exit codes and hints. */
export const API_ERROR_CODES = [
  'validation',
  'unauthorized',
  'forbidden',
  /** A cookie-authenticated request without its CSRF token, or from another origin. */
  'csrf',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'request_timeout',
  'internal',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** HTTP status for each code. */
export const STATUS_OF: Record<ApiErrorCode, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  request_timeout: 408,
  internal: 500,
};
