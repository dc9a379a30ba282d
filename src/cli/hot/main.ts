import { KryptError } from '../../lib/errors.js';
import { tlsOverrideWarning } from '../../lib/api/tls.js';
import { elapsedMs } from '../../lib/debug/debug-log.js';
import { createCliDeps, type CliDeps } from '../deps.js';
import { writeError } from '../error-output.js';
import { getCommand } from './get-command.js';
import { runCommand } from './run-command.js';

// The start-up path of the two commands typed dozens of times a day. bin/run.js sends `run` and
// `get` here without loading oclif (~65 ms) or zod (~80 ms); the oclif classes call the same code.

export type HotCommand = 'run' | 'get';

/** Runs `krypt run|get ARGV` and returns the exit code; errors are rendered exactly as oclif commands render them. */
export async function main(command: HotCommand, argv: readonly string[], deps: CliDeps = createCliDeps()): Promise<number> {
  const started = deps.debug ? performance.now() : 0;
  const tlsWarning = tlsOverrideWarning(deps.env);
  if (tlsWarning !== undefined) deps.stderr.write(`Warning: ${tlsWarning}\n`);
  try {
    const code = command === 'run' ? await runCommand(argv, deps) : await getCommand(argv, deps);
    deps.debug?.(`${command} finished with exit code ${code} in ${elapsedMs(started)}`);
    return code;
  } catch (err) {
    const krypt = err instanceof KryptError ? err : new KryptError('unexpected', (err as Error)?.message ?? String(err), { hint: 'run again; if it persists, report it' });
    const before = argv.indexOf('--');
    writeError(deps.stderr, krypt, (before < 0 ? argv : argv.slice(0, before)).includes('--json'));
    return krypt.exitCode;
  }
}
