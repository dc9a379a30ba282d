import { KryptError } from '../../lib/errors.js';
import { validateKeyName } from '../../lib/envfile/keys.js';
import type { CliDeps } from '../deps.js';
import { requireIntact } from '../../lib/sync/fetch-environment.js';
import { loadEnvironment } from './context.js';
import { GET_FLAGS } from './flag-specs.js';
import { parseArgs } from './parse-args.js';

/** `krypt get KEY...`: raw values one per line in the order asked (or one JSON object); returns the exit code. */
export async function getCommand(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { flags, args, rest } = parseArgs('get', GET_FLAGS, argv);
  const keys = [...args, ...rest];
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
  if (flags.json === true) {
    deps.stdout.write(JSON.stringify(Object.fromEntries(keys.map((k) => [k, env.secrets[k]])), null, 2) + '\n');
  } else {
    const text = keys.map((k) => env.secrets[k]).join('\n');
    deps.stdout.write(flags['no-newline'] === true ? text : text + '\n');
  }
  return 0;
}
