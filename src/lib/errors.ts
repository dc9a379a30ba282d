/** How an error ends the process: the exit code family of PRODUCT.md §3. */
export type ErrorKind = 'local' | 'remote' | 'auth' | 'cancelled';

export const EXIT_CODES: Record<ErrorKind, number> = { local: 1, remote: 2, auth: 4, cancelled: 130 };

/**
 * The one error type of the CLI: a stable code, a one-line message and a hint naming the next
 * command to try. Messages never carry secret values.
 */
export class KryptError extends Error {
  readonly code: string;
  readonly hint: string;
  readonly kind: ErrorKind;
  /** The server could not be reached or failed (network, timeout, 5xx): an offline copy may stand in. */
  readonly unavailable: boolean;

  constructor(code: string, message: string, options: { hint?: string; kind?: ErrorKind; cause?: unknown; unavailable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KryptError';
    this.code = code;
    this.hint = options.hint ?? '';
    this.kind = options.kind ?? 'local';
    this.unavailable = options.unavailable ?? false;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}
