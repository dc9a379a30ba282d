import { defineCommand } from '../cli/command.js';
import { contextFlags } from '../cli/flags.js';
import { pendingLines } from '../cli/change-requests.js';
import { openProjectSession } from '../cli/session.js';
import type { ChangeRequest } from '../contract/index.js';
import { isPendingWrite } from '../lib/api/client.js';
import { KryptError } from '../lib/errors.js';
import { checkKey } from '../lib/sync/assignments.js';

type UnsetResult =
  | { project: string; environment: string; revision: number; deleted: string[] }
  | { project: string; environment: string; changeRequest: ChangeRequest };

export default defineCommand({
  id: 'unset',
  description: 'Delete secrets. A key that is not set is an error (the others are still deleted).',
  examples: ['krypt unset OLD_FLAG', 'krypt unset A B --env staging'],
  variadic: true,
  usage: 'unset KEY...',
  flags: { ...contextFlags },
  async run(ctx, { argv, flags }): Promise<UnsetResult> {
    const keys = argv.map(checkKey);
    if (keys.length === 0) throw new KryptError('usage', 'name at least one key', { hint: 'run `krypt unset KEY`' });
    const { client, context } = openProjectSession(ctx.deps, flags, 'unset');
    const result = await client.writeSecrets(context.project, context.environment, { delete: keys });
    if (isPendingWrite(result)) {
      pendingLines(result.changeRequest).forEach((line) => ctx.say(line));
      return { project: context.project, environment: context.environment, changeRequest: result.changeRequest };
    }
    const where = `${context.project}/${context.environment}`;
    if (result.deleted.length > 0) ctx.say(`Deleted ${result.deleted.join(', ')} from ${where} (revision ${result.revision}).`);
    const missing = keys.filter((k) => !result.deleted.includes(k));
    if (missing.length > 0) {
      throw new KryptError('secret_not_found', `${missing.join(', ')} not set in ${where}`, { kind: 'remote', hint: 'run `krypt secrets list` to see the keys' });
    }
    return { project: context.project, environment: context.environment, revision: result.revision, deleted: result.deleted };
  },
});
