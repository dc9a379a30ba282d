import { Flags } from '@oclif/core';
import { KryptCommand } from '../cli/base-command.js';
import { contextFlags } from '../cli/flags.js';
import { openProjectSession } from '../cli/session.js';
import { KryptError } from '../lib/errors.js';
import { buildChildEnv } from '../lib/process/child-env.js';
import { runChild } from '../lib/process/run-child.js';

export default class Run extends KryptCommand<void> {
  static override description = 'Run a command with the environment\'s secrets in its environment. Exit code is the child\'s (128+n when killed by signal n).';
  static override examples = ['<%= config.bin %> run -- npm start', '<%= config.bin %> run --env production -- node server.js', '<%= config.bin %> run --command "echo $PORT"'];
  static override strict = false;
  static override enableJsonFlag = false;
  static override flags = {
    ...contextFlags,
    command: Flags.string({ char: 'c', description: 'run this string through your shell instead of CMD ARGS...' }),
    'preserve-env': Flags.boolean({ description: 'inherited variables win over secrets of the same name' }),
    'allow-reserved': Flags.boolean({ description: 'let secrets override PATH, HOME, SHELL, USER and PWD' }),
    only: Flags.string({ description: 'inject only these comma-separated keys' }),
  };
  static override usage = 'run [FLAGS] -- CMD [ARGS...]';

  async run(): Promise<void> {
    // Everything after the first `--` belongs to the child, verbatim (oclif would re-order repeated args).
    const dash = this.argv.indexOf('--');
    const own = dash < 0 ? this.argv : this.argv.slice(0, dash);
    const child = dash < 0 ? [] : this.argv.slice(dash + 1);
    const { flags, argv } = await this.parse(Run, own);
    if (argv.length > 0) {
      throw new KryptError('usage', `unexpected argument "${String(argv[0])}" before --`, { hint: 'put the command after --: `krypt run -- CMD ARGS...`' });
    }
    if (flags.command !== undefined && child.length > 0) {
      throw new KryptError('usage', 'give either --command or a command after --, not both', { hint: 'run `krypt run -- CMD ARGS...` or `krypt run --command "..."`' });
    }
    if (flags.command === undefined && child.length === 0) {
      throw new KryptError('usage', 'no command to run', { hint: 'run `krypt run -- CMD ARGS...`' });
    }
    const { client, context } = openProjectSession(this.deps, flags, 'run');
    const { secrets } = await client.getSecrets(context.project, context.environment);
    const { env, skippedReserved } = buildChildEnv({
      inherited: this.deps.env,
      secrets: selectOnly(secrets, flags.only),
      preserveEnv: flags['preserve-env'],
      allowReserved: flags['allow-reserved'],
    });
    if (skippedReserved.length > 0) this.warn(`not overriding ${skippedReserved.join(', ')} (use --allow-reserved)`);
    const code =
      flags.command === undefined
        ? await runChild({ command: child[0] as string, args: child.slice(1), env })
        : await runChild({ command: flags.command, args: [], env, shell: true });
    if (code !== 0) this.exit(code);
  }
}

function selectOnly(secrets: Record<string, string>, only: string | undefined): Record<string, string> {
  if (only === undefined) return secrets;
  const keys = only.split(',').map((k) => k.trim()).filter(Boolean);
  const missing = keys.filter((k) => !Object.hasOwn(secrets, k));
  if (missing.length > 0) {
    throw new KryptError('secret_not_found', `--only names keys that are not set: ${missing.join(', ')}`, { hint: 'run `krypt secrets list`' });
  }
  return Object.fromEntries(keys.map((k) => [k, secrets[k] as string]));
}
