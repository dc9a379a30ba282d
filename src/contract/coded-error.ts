// The one error type of Krypt, shared by the CLI and the server, free of zod: `krypt run` and
// `krypt get` load it on their start-up path.

/** How an error ends the process: the exit code family of PRODUCT.md §3. */
export type ErrorKind = 'local' | 'remote' | 'auth' | 'cancelled';

/** The exit code of each family (`run` passes its child's code through instead). */
export const EXIT_CODES: Record<ErrorKind, number> = { local: 1, remote: 2, auth: 4, cancelled: 130 };

export interface CodedErrorOptions {
  /** The next step for the user, usually a command to try; '' when there is none to give. */
  hint?: string | undefined;
  /** The exit code family (default local). */
  kind?: ErrorKind | undefined;
  /** An exit code of its own instead of the family's: `krypt run` of a missing command exits 127, as shells do. */
  exitCode?: number | undefined;
  cause?: unknown;
}

/**
 * An error users see: a stable `code`, a one-line `message`, a `hint` naming the next step and the
 * exit code family. Everything the CLI renders is one; the server's start-up, maintenance and
 * service errors are too, so the CLI recognises them by `instanceof`. Messages never carry secret values.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly hint: string;
  readonly kind: ErrorKind;
  readonly #exitCode: number | undefined;

  constructor(code: Code, message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodedError';
    this.code = code;
    this.hint = options.hint ?? '';
    this.kind = options.kind ?? 'local';
    this.#exitCode = options.exitCode;
  }

  /** The process exit code this error ends a command with. */
  get exitCode(): number {
    return this.#exitCode ?? EXIT_CODES[this.kind];
  }
}
