import { arg, defineCommand, flag } from '../../cli/command.js';
import { contextFlags } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openProjectSession } from '../../cli/session.js';
import { checkKey } from '../../lib/sync/assignments.js';

interface HistoryResult {
  project: string;
  environment: string;
  key: string;
  versions: Array<{ version: number; revision: number; createdAt: string; createdBy: string; deleted: boolean; value?: string }>;
}

export default defineCommand({
  id: 'secrets:history',
  description: 'Show the versions of a secret, newest first: when and by whom; values only with --reveal.',
  examples: ['krypt secrets history DATABASE_URL', 'krypt secrets history API_KEY --env prod --reveal'],
  args: { key: arg({ required: true, description: 'secret key' }) },
  flags: {
    ...contextFlags,
    reveal: flag.boolean({ description: 'include the values of every version (recorded as a read)' }),
  },
  async run(ctx, { args, flags }): Promise<HistoryResult> {
    const key = checkKey(args.key);
    const { client, context } = openProjectSession(ctx.deps, flags, 'secrets history');
    const history = await client.secretHistory(context.project, context.environment, key, flags.reveal);
    const rows = history.versions.map((v) => [
      String(v.version),
      String(v.revision),
      v.createdAt,
      v.createdBy,
      ...(flags.reveal ? [v.deleted ? '(deleted)' : JSON.stringify(v.value ?? '')] : [v.deleted ? 'deleted' : 'set']),
    ]);
    const headers = ['version', 'revision', 'when', 'by', flags.reveal ? 'value' : 'change'];
    if (rows.length === 0) ctx.say(`${key} has no history in ${context.project}/${context.environment}.`);
    ctx.print(renderTable(headers, rows, Boolean(ctx.deps.stdout.isTTY)));
    return { project: history.project, environment: history.environment, key: history.key, versions: history.versions };
  },
});
