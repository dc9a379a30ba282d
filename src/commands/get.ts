import { Flags } from '@oclif/core';
import { KryptCommand } from '../cli/base-command.js';
import { contextFlags } from '../cli/flags.js';
import { openProjectSession } from '../cli/session.js';
import { KryptError } from '../lib/errors.js';
import { checkKey } from '../lib/sync/assignments.js';

export default class Get extends KryptCommand<Record<string, string>> {
  static override description = 'Print secret values: one per line, in the order asked (raw, for `$(krypt get KEY)`).';
  static override examples = ['DATABASE_URL=$(<%= config.bin %> get DATABASE_URL)', '<%= config.bin %> get -n API_KEY | pbcopy', '<%= config.bin %> get A B --json'];
  static override strict = false;
  static override usage = 'get KEY... [-n] [--json]';
  static override flags = {
    ...contextFlags,
    'no-newline': Flags.boolean({ char: 'n', description: 'do not print the trailing newline' }),
  };

  async run(): Promise<Record<string, string>> {
    const { argv, flags } = await this.parse(Get);
    const keys = argv as string[];
    if (keys.length === 0) throw new KryptError('usage', 'name at least one key', { hint: 'run `krypt get KEY`' });
    keys.forEach(checkKey);
    const { client, context } = openProjectSession(this.deps, flags, 'get');
    const values = await fetchValues(client, context.project, context.environment, keys);
    const missing = keys.filter((k) => values[k] === undefined);
    if (missing.length > 0) {
      throw new KryptError('secret_not_found', `${missing.join(', ')} not set in ${context.project}/${context.environment}`, {
        kind: 'remote',
        hint: 'run `krypt secrets list` to see the keys',
      });
    }
    const text = keys.map((k) => values[k]).join('\n');
    this.print(flags['no-newline'] ? text : text + '\n');
    return Object.fromEntries(keys.map((k) => [k, values[k] as string]));
  }
}

async function fetchValues(client: ReturnType<typeof openProjectSession>['client'], project: string, env: Parameters<typeof client.getSecrets>[1], keys: string[]): Promise<Record<string, string>> {
  if (keys.length > 1) return (await client.getSecrets(project, env)).secrets;
  try {
    const secret = await client.getSecret(project, env, keys[0] as string);
    return { [secret.key]: secret.value };
  } catch (err) {
    // A 404 for the key itself means "not set"; an unknown project keeps its own error.
    if (err instanceof KryptError && err.code === 'not_found' && /secret|key/i.test(err.message)) return {};
    throw err;
  }
}
