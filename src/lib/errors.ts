import { CodedError, type CodedErrorOptions } from '../contract/coded-error.js';

export { EXIT_CODES, type ErrorKind } from '../contract/coded-error.js';

/**
 * The CLI's error: the shared coded error (a stable code, a one-line message and a hint naming the
 * next command to try) plus whether an offline copy may stand in. Messages never carry secret values.
 */
export class KryptError extends CodedError {
  /** The server could not be reached or failed (network, timeout, 5xx): an offline copy may stand in. */
  readonly unavailable: boolean;

  constructor(code: string, message: string, options: CodedErrorOptions & { unavailable?: boolean } = {}) {
    super(code, message, options);
    this.name = 'KryptError';
    this.unavailable = options.unavailable ?? false;
  }
}
