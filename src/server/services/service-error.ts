import type { ApiErrorCode } from '../../contract/index.js';

// The one error type services throw; the error handler turns it into the API envelope.
export class ServiceError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly keys?: string[],
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** 404 for a project that does not exist or that the caller cannot see (existence is not leaked). */
export function projectNotFound(slug: string): ServiceError {
  return new ServiceError('not_found', `project "${slug}" not found`);
}
