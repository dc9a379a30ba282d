import { Command, Errors } from '@oclif/core';
import { CodedError } from '../contract/coded-error.js';
import { tlsOverrideWarning } from '../lib/api/tls.js';
import { KryptError } from '../lib/errors.js';
import { createCliDeps, type CliDeps } from './deps.js';
import { writeError } from './error-output.js';

/**
 * Base of every command: `--json`, stdout for data and stderr for talk, and the one place that
 * renders errors (`Error: <message>` + hint, or `{"error":{...}}` on stderr) and picks the exit code.
 */
export abstract class KryptCommand<T> extends Command {
  static override enableJsonFlag = true;

  protected deps: CliDeps = createCliDeps();

  abstract override run(): Promise<T>;

  override async init(): Promise<void> {
    await super.init();
    // Once per command, before anything connects (run and get warn in their own start-up path).
    const tlsWarning = tlsOverrideWarning(this.deps.env);
    if (tlsWarning !== undefined) this.warn(tlsWarning);
  }

  /** Progress and human text: always stderr, silent in --json mode. */
  protected say(message: string): void {
    if (!this.jsonEnabled()) this.deps.stderr.write(message + '\n');
  }

  /** Data for humans or pipes: stdout, suppressed in --json mode (the returned value is printed instead). */
  protected print(text: string): void {
    if (!this.jsonEnabled()) this.deps.stdout.write(text);
  }

  override warn(input: string | Error): string | Error {
    this.deps.stderr.write(`Warning: ${typeof input === 'string' ? input : input.message}\n`);
    return input;
  }

  /**
   * Ends a command that has a result but must still exit non-zero (`diff` found differences, a broken
   * audit chain): with --json the result goes to stdout first, then the error is rendered as usual.
   */
  protected failWithResult(result: unknown, error: KryptError): never {
    if (this.jsonEnabled()) this.deps.stdout.write(JSON.stringify(result, null, 2) + '\n');
    throw error;
  }

  protected get interactive(): boolean {
    return Boolean(this.deps.stdin.isTTY);
  }

  override async catch(err: Error & { oclif?: { exit?: number }; code?: string }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    const krypt = toKryptError(err, this.id ?? '');
    writeError(this.deps.stderr, krypt, this.jsonEnabled());
    throw new Errors.ExitError(krypt.exitCode);
  }
}

/** Normalises anything thrown into a KryptError with a hint; unknown errors keep only their message. */
export function toKryptError(err: unknown, commandId: string): KryptError {
  if (err instanceof KryptError) return err;
  const e = err as Error & { name?: string; code?: string };
  if (e?.name === 'ExitPromptError' || e?.name === 'AbortPromptError') {
    return new KryptError('cancelled', 'cancelled', { kind: 'cancelled' });
  }
  // Errors of the server's entry (start-up, maintenance) are the shared coded error too.
  if (err instanceof CodedError) return new KryptError(err.code, err.message, { hint: err.hint, kind: err.kind });
  const help = `run \`krypt ${commandId.replaceAll(':', ' ')} --help\``.replace('krypt  --help', 'krypt --help');
  if (e instanceof Errors.CLIError || (e && typeof e.message === 'string' && e.constructor?.name?.includes('Error') && 'parse' in e)) {
    return new KryptError('usage', firstLine(e.message), { hint: help });
  }
  return new KryptError('unexpected', firstLine(e?.message ?? String(err)), { hint: 'run again; if it persists, report it' });
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').replace(/^Error: /, '');
}
