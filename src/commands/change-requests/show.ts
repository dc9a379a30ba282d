import { arg, defineCommand, flag } from '../../cli/command.js';
import { parseChangeRequestId } from '../../cli/change-requests.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { renderChanges } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import type { ChangeRequest } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

interface ShowResult {
  changeRequest: ChangeRequest;
  diff: Array<{ key: string; change: 'added' | 'changed' | 'removed' | 'unchanged'; current?: string | null; proposed?: string | null }>;
}

export default defineCommand({
  id: 'change-requests:show',
  description: 'Show a change request: who asked, its outcome, and the diff against current values (masked unless --reveal).',
  aliases: ['cr:show'],
  examples: ['krypt cr show 3', 'krypt cr show 3 --reveal'],
  args: { id: arg({ required: true, description: 'change request number' }) },
  flags: {
    ...apiFlags,
    ...projectFlag,
    reveal: flag.boolean({ description: 'show current and proposed values (recorded as a read)' }),
  },
  async run(ctx, { args, flags }): Promise<ShowResult> {
    const id = parseChangeRequestId(args.id);
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { changeRequest: cr, diff } = await openSession(ctx.deps, flags, 'change-requests show').client.getChangeRequest(project, id, flags.reveal);
    const lines = [
      `Change request #${cr.id} to ${cr.project}/${cr.environment}: ${cr.status}`,
      `Requested by ${cr.requestedBy} at ${cr.createdAt} (based on revision ${cr.baseRevision})`,
    ];
    if (cr.decidedBy) lines.push(`${cr.status === 'cancelled' ? 'Cancelled' : 'Decided'} by ${cr.decidedBy} at ${cr.decidedAt ?? '?'}${cr.reason ? `: ${cr.reason}` : ''}`);
    const entries = diff.map((d) => ({ key: d.key, change: d.change, from: d.current, to: d.proposed }));
    ctx.print(lines.join('\n') + '\n\n' + renderChanges(entries, flags.reveal));
    return { changeRequest: cr, diff };
  },
});
