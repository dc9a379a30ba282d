import { CodedError, type ApiErrorCode } from '../../contract/index.js';

/**
 * The one error type services throw; the error handler turns it into the API envelope (status from
 * STATUS_OF). Its kind is the exit code family the CLI gives the response: auth for 401/403, else remote.
 */
export class ServiceError extends CodedError<ApiErrorCode> {
  constructor(
    code: ApiErrorCode,
    message: string,
    readonly keys?: string[],
  ) {
    super(code, message, { kind: code === 'unauthorized' || code === 'forbidden' ? 'auth' : 'remote' });
    this.name = 'ServiceError';
  }
}

/** 404 for a project that does not exist or that the caller cannot see (existence is not leaked). */
export function projectNotFound(slug: string): ServiceError {
  return new ServiceError('not_found', `project "${slug}" not found`);
}
