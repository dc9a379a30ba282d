import { CodedError } from '../contract/coded-error.js';
import { tlsOverrideWarning } from '../lib/api/tls.js';
import { elapsedMs } from '../lib/debug/debug-log.js';
import { KryptError } from '../lib/errors.js';
import { ResultError, type AnyCommand, type CommandContext, type FlagSet } from './command.js';
import type { CliDeps } from './deps.js';
import { writeError } from './error-output.js';
import { asksForJson, parseCommandLine } from './parse-args.js';

// The one CLI pipeline. Every command, on every path (both bundles of bin/run.js, the standalone
// binary, in-process tests), runs here: parse with the one parser, warn once about an overridden
// TLS check, run over the injected dependencies, print the result for --json, and turn whatever was
// thrown into one error rendering and one exit code (0 / 1 local / 2 remote / 4 auth / 130 cancelled,
// or the code the command returns, e.g. the child's for `run`).

/** The global --json flag of commands whose returned value is their --json output. */
const JSON_FLAG: FlagSet = { json: { type: 'boolean', description: 'Format output as json.', helpGroup: 'GLOBAL' } };

/** Every flag the command line of `spec` accepts, --json included where the pipeline renders it. */
export function commandFlags(spec: AnyCommand): FlagSet {
  return spec.output === 'self' ? spec.flags : { ...spec.flags, ...JSON_FLAG };
}

/** Runs one command with `argv` (the words after its name) and returns the exit code. */
export async function executeCommand(spec: AnyCommand, argv: readonly string[], deps: CliDeps): Promise<number> {
  const started = deps.debug ? performance.now() : 0;
  let json = asksForJson(argv);
  try {
    const input = parseCommandLine(spec, commandFlags(spec), argv);
    json = (input.flags as { json?: boolean }).json === true;
    const tlsWarning = tlsOverrideWarning(deps.env);
    if (tlsWarning !== undefined) deps.stderr.write(`Warning: ${tlsWarning}\n`);
    const result = await spec.run(createContext(deps, json && spec.output !== 'self'), input);
    if (json && spec.output !== 'self') deps.stdout.write(JSON.stringify(result, null, 2) + '\n');
    const code = spec.exitCode ? spec.exitCode(result) : 0;
    deps.debug?.(`${spec.id} finished with exit code ${code} in ${elapsedMs(started)}`);
    return code;
  } catch (thrown) {
    let err = thrown;
    if (err instanceof ResultError) {
      if (json) deps.stdout.write(JSON.stringify(err.result, null, 2) + '\n');
      err = err.error;
    }
    const krypt = toKryptError(err);
    writeError(deps.stderr, krypt, json);
    deps.debug?.(`${spec.id} failed (${krypt.code}) in ${elapsedMs(started)}`);
    return krypt.exitCode;
  }
}

function createContext(deps: CliDeps, json: boolean): CommandContext {
  return {
    deps,
    json,
    interactive: Boolean(deps.stdin.isTTY),
    say: (message) => {
      if (!json) deps.stderr.write(message + '\n');
    },
    print: (text) => {
      if (!json) deps.stdout.write(text);
    },
    warn: (message) => {
      deps.stderr.write(`Warning: ${message}\n`);
    },
    failWithResult: (result, error) => {
      throw new ResultError(result, error);
    },
  };
}

/** The one error normaliser: anything thrown becomes a KryptError with a hint; unknown errors keep only their message. */
export function toKryptError(err: unknown): KryptError {
  if (err instanceof KryptError) return err;
  const e = err as Error & { name?: string; code?: string };
  if (e?.name === 'ExitPromptError' || e?.name === 'AbortPromptError') {
    return new KryptError('cancelled', 'cancelled', { kind: 'cancelled' });
  }
  // Errors of the server's entry points (start-up, maintenance) are the contract's coded errors.
  if (err instanceof CodedError) return new KryptError(err.code, err.message, { hint: err.hint, kind: err.kind, exitCode: err.exitCode });
  return new KryptError('unexpected', firstLine(e?.message ?? String(err)), { hint: 'run again; if it persists, report it' });
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').replace(/^Error: /, '');
}
