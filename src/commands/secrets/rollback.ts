import { arg, defineCommand, flag } from '../../cli/command.js';
import { pendingLines } from '../../cli/change-requests.js';
import { contextFlags } from '../../cli/flags.js';
import { openProjectSession } from '../../cli/session.js';
import type { ChangeRequest } from '../../contract/index.js';
import { isPendingWrite } from '../../lib/api/client.js';
import { checkKey } from '../../lib/sync/assignments.js';

type RollbackResult =
  | { project: string; environment: string; key: string; version: number; revision: number; changed: string[]; deleted: string[] }
  | { project: string; environment: string; key: string; version: number; changeRequest: ChangeRequest };

export default defineCommand({
  id: 'secrets:rollback',
  description: [
    'Restore an earlier version of a secret as a new version (history is never rewritten).',
    'A Member rolling back production creates a change request, like any production write.',
  ].join('\n'),
  examples: ['krypt secrets rollback DATABASE_URL --version 3', 'krypt secrets history DATABASE_URL'],
  args: { key: arg({ required: true, description: 'secret key' }) },
  flags: {
    ...contextFlags,
    version: flag.integer({ description: 'the version to restore (see `krypt secrets history KEY`)', required: true, min: 1 }),
  },
  async run(ctx, { args, flags }): Promise<RollbackResult> {
    const key = checkKey(args.key);
    const { client, context } = openProjectSession(ctx.deps, flags, 'secrets rollback');
    const result = await client.rollbackSecret(context.project, context.environment, key, flags.version);
    const base = { project: context.project, environment: context.environment, key, version: flags.version };
    if (isPendingWrite(result)) {
      pendingLines(result.changeRequest).forEach((line) => ctx.say(line));
      return { ...base, changeRequest: result.changeRequest };
    }
    const what = result.changed.length + result.deleted.length === 0 ? 'already had that value; nothing changed' : `restored to version ${flags.version}`;
    ctx.say(`${key} in ${context.project}/${context.environment} ${what} (revision ${result.revision}).`);
    return { ...base, ...result };
  },
});
