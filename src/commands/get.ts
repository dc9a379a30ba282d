import { defineCommand, flag } from '../cli/command.js';
import { loadEnvironment } from '../cli/environment.js';
import { contextFlags, offlineFlags } from '../cli/flags.js';
import { validateKeyName } from '../lib/envfile/keys.js';
import { KryptError } from '../lib/errors.js';
import { requireIntact } from '../lib/sync/fetch-environment.js';

/** `krypt get KEY...`: raw values one per line in the order asked (or one JSON object); `$(krypt get KEY)` just works. */
export default defineCommand({
  id: 'get',
  description: 'Print secret values: one per line, in the order asked (raw, for `$(krypt get KEY)`).',
  examples: ['DATABASE_URL=$(krypt get DATABASE_URL)', 'krypt get -n API_KEY | pbcopy', 'krypt get A B --json'],
  usage: 'get KEY... [-n] [--json]',
  flags: {
    ...contextFlags,
    'no-newline': flag.boolean({ char: 'n', description: 'do not print the trailing newline' }),
    json: flag.boolean({ description: 'print the values as one JSON object' }),
    ...offlineFlags,
  },
  variadic: true,
  passthrough: true,
  output: 'self',
  async run({ deps }, { flags, argv, rest }) {
    const keys = [...argv, ...rest];
    if (keys.length === 0) throw new KryptError('usage', 'name at least one key', { hint: 'run `krypt get KEY`' });
    keys.forEach(validateKeyName);
    const env = await loadEnvironment(flags, deps, 'get');
    requireIntact(env, keys);
    const missing = keys.filter((k) => !Object.hasOwn(env.secrets, k));
    if (missing.length > 0) {
      throw new KryptError('secret_not_found', `${missing.join(', ')} not set in ${env.project}/${env.environment}`, {
        kind: 'remote',
        hint: 'run `krypt secrets list` to see the keys',
      });
    }
    if (flags.json) {
      deps.stdout.write(JSON.stringify(Object.fromEntries(keys.map((k) => [k, env.secrets[k]])), null, 2) + '\n');
    } else {
      const text = keys.map((k) => env.secrets[k]).join('\n');
      deps.stdout.write(flags['no-newline'] ? text : text + '\n');
    }
  },
});
