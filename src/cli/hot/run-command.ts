import { KryptError } from '../../lib/errors.js';
import { buildChildEnv } from '../../lib/process/child-env.js';
import { runChild } from '../../lib/process/run-child.js';
import type { CliDeps } from '../deps.js';
import { loadEnvironment } from './context.js';
import { RUN_FLAGS } from './flag-specs.js';
import { parseArgs, stringFlag } from './parse-args.js';

/** `krypt run [FLAGS] -- CMD ARGS...`: runs the child with the secrets; returns the child's exit code. */
export async function runCommand(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { flags, args, rest: child } = parseArgs('run', RUN_FLAGS, argv);
  const command = stringFlag(flags, 'command');
  if (args.length > 0) {
    throw new KryptError('usage', `unexpected argument "${args[0]}" before --`, { hint: 'put the command after --: `krypt run -- CMD ARGS...`' });
  }
  if (command !== undefined && child.length > 0) {
    throw new KryptError('usage', 'give either --command or a command after --, not both', { hint: 'run `krypt run -- CMD ARGS...` or `krypt run --command "..."`' });
  }
  if (command === undefined && child.length === 0) {
    throw new KryptError('usage', 'no command to run', { hint: 'run `krypt run -- CMD ARGS...`' });
  }
  const preserve = flags['preserve-env'];
  const env = await loadEnvironment(flags, deps, 'run');
  const built = buildChildEnv({
    inherited: deps.env,
    secrets: selectOnly(env.secrets, stringFlag(flags, 'only')),
    preserveEnv: typeof preserve === 'string' ? splitList(preserve) : preserve === true,
    allowReserved: flags['allow-reserved'] === true,
  });
  if (built.skippedReserved.length > 0) deps.stderr.write(`Warning: not overriding ${built.skippedReserved.join(', ')} (use --allow-reserved)\n`);
  return command === undefined
    ? runChild({ command: child[0] as string, args: child.slice(1), env: built.env })
    : runChild({ command, args: [], env: built.env, shell: true });
}

function splitList(text: string): string[] {
  return text.split(',').map((k) => k.trim()).filter(Boolean);
}

function selectOnly(secrets: Record<string, string>, only: string | undefined): Record<string, string> {
  if (only === undefined) return secrets;
  const keys = splitList(only);
  const missing = keys.filter((k) => !Object.hasOwn(secrets, k));
  if (missing.length > 0) {
    throw new KryptError('secret_not_found', `--only names keys that are not set: ${missing.join(', ')}`, { hint: 'run `krypt secrets list`' });
  }
  return Object.fromEntries(keys.map((k) => [k, secrets[k] as string]));
}
