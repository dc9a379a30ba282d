import { KryptError } from '../../lib/errors.js';
import { keysWithNul, nulValueMessage } from '../../lib/envfile/values.js';
import { buildChildEnv } from '../../lib/process/child-env.js';
import { runChild } from '../../lib/process/run-child.js';
import { elapsedMs } from '../../lib/debug/debug-log.js';
import type { CliDeps } from '../deps.js';
import { requireIntact } from '../../lib/sync/fetch-environment.js';
import { loadEnvironment, type EnvironmentFlags } from '../environment.js';
import { parseOnChange, runWatched } from './watch-run.js';
import type { Environment } from '../../contract/constants.js';

/** The flags `krypt run` reads (defined in commands/run.ts). */
export interface RunFlags extends EnvironmentFlags {
  command?: string | undefined;
  'preserve-env'?: string | true | undefined;
  'allow-reserved': boolean;
  only?: string | undefined;
  mask: boolean;
  watch: boolean;
  'on-change'?: string | undefined;
}

/** `krypt run [FLAGS] -- CMD ARGS...`: runs the child with the secrets; returns the child's exit code. */
export async function runCommand(deps: CliDeps, flags: RunFlags, args: readonly string[], child: readonly string[]): Promise<number> {
  const command = flags.command;
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
  const only = flags.only;
  const onChange = flags['on-change'];
  if (onChange !== undefined && flags.watch !== true) throw new KryptError('usage', '--on-change needs --watch', { hint: 'run `krypt run --watch --on-change signal:SIGHUP -- CMD`' });
  if (flags.watch === true) parseOnChange(onChange);
  const childEnv = (secrets: Record<string, string>) => {
    const selected = selectOnly(secrets, only);
    const built = buildChildEnv({
      inherited: deps.env,
      secrets: selected,
      preserveEnv: typeof preserve === 'string' ? splitList(preserve) : preserve === true,
      allowReserved: flags['allow-reserved'] === true,
    });
    refuseNulValues(keysWithNul(selected).filter((key) => built.env[key] === selected[key]));
    // Only owners and admins can set these; still, say which ones the command is about to receive.
    if (built.privileged.length > 0) {
      deps.stderr.write(`krypt: injecting privileged variables (they make programs load or run code): ${built.privileged.join(', ')}\n`);
    }
    return { ...built, masked: Object.values(selected) };
  };
  const loaded = await loadEnvironment(flags, deps, 'run');
  requireIntact(loaded, only === undefined ? undefined : splitList(only));
  const built = childEnv(loaded.secrets);
  if (built.skippedReserved.length > 0) deps.stderr.write(`Warning: not overriding ${built.skippedReserved.join(', ')} (use --allow-reserved)\n`);
  const target = command === undefined ? { command: child[0] as string, args: child.slice(1) } : { command, args: [], shell: true };
  if (flags.watch === true) {
    if (flags.mask === true) throw new KryptError('usage', '--mask and --watch cannot be combined yet', { hint: 'drop one of them' });
    return runWatched(
      {
        target,
        apiUrl: loaded.apiUrl,
        token: loaded.token,
        caFile: loaded.caFile,
        project: loaded.project,
        environment: loaded.environment as Environment,
        revision: loaded.revision,
        env: built.env,
        onChange,
        reread: async () => {
          const fresh = await loadEnvironment(flags, deps, 'run');
          requireIntact(fresh, only === undefined ? undefined : splitList(only));
          return { revision: fresh.revision, env: childEnv(fresh.secrets).env };
        },
      },
      deps,
    );
  }
  // The child's argv may hold user data: only the program name (or "shell") and the argument count.
  deps.debug?.(`spawn ${command === undefined ? target.command : 'shell --command'} with ${target.args.length} args and ${Object.keys(built.env).length} variables${flags.mask === true ? ' (masked)' : ''}`);
  const started = deps.debug ? performance.now() : 0;
  const code = await runChild({ ...target, env: built.env, ...(flags.mask === true ? { maskValues: built.masked } : {}) });
  deps.debug?.(`child exited with ${code} after ${elapsedMs(started)}`);
  return code;
}

/**
 * Values stored before the server refused NUL would make the spawn fail for the whole environment
 * (ERR_INVALID_ARG_VALUE, no key named): refuse before spawning, naming the keys actually injected.
 */
function refuseNulValues(keys: string[]): void {
  if (keys.length === 0) return;
  const hint =
    keys.length === 1
      ? `replace it: run \`krypt set ${keys[0]} --stdin\` with a value without NUL, or leave it out with --only`
      : `replace them: run \`krypt set KEY --stdin\` for each of ${keys.join(', ')} with a value without NUL, or leave them out with --only`;
  throw new KryptError('nul_in_value', nulValueMessage(keys), { hint });
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
