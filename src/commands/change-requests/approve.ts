import { arg, defineCommand, flag } from '../../cli/command.js';
import { parseChangeRequestId } from '../../cli/change-requests.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { ChangeRequest } from '../../contract/index.js';
import { ConflictError } from '../../lib/api/client.js';
import { resolveProject } from '../../lib/config/context.js';
import { KryptError } from '../../lib/errors.js';

interface ApproveResult {
  changeRequest: ChangeRequest;
  revision?: number;
}

export default defineCommand({
  id: 'change-requests:approve',
  description: [
    'Approve a pending change request (Owner/Admin): all its changes are applied at once.',
    'Refused as a conflict when any of its keys changed since it was made, unless --force.',
  ].join('\n'),
  aliases: ['cr:approve'],
  examples: ['krypt cr approve 3', 'krypt cr approve 3 --force'],
  args: { id: arg({ required: true, description: 'change request number' }) },
  flags: {
    ...apiFlags,
    ...projectFlag,
    force: flag.boolean({ description: 'apply even if some of its keys changed since the request was made (overwrites those changes)' }),
  },
  async run(ctx, { args, flags }): Promise<ApproveResult> {
    const id = parseChangeRequestId(args.id);
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const client = openSession(ctx.deps, flags, 'change-requests approve').client;
    let result: ApproveResult;
    try {
      result = await client.approveChangeRequest(project, id, flags.force);
    } catch (err) {
      if (err instanceof ConflictError && err.keys.length > 0) {
        throw new KryptError('conflict', `cannot approve change request #${id}: ${err.keys.join(', ')} changed since it was made; nothing was applied`, {
          kind: 'remote',
          hint: `review it with \`krypt cr show ${id}\`, then approve anyway with \`krypt cr approve ${id} --force\` (or reject it)`,
        });
      }
      if (err instanceof ConflictError) throw new KryptError('conflict', err.message, { kind: 'remote', hint: `run \`krypt cr show ${id}\` to see its status` });
      throw err;
    }
    const cr = result.changeRequest;
    const revision = result.revision === undefined ? '' : ` (revision ${result.revision})`;
    ctx.say(`Approved change request #${cr.id}: ${cr.changes.length} change(s) applied to ${cr.project}/${cr.environment}${revision}.`);
    return result;
  },
});
