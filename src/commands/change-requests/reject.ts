import { arg, defineCommand, flag } from '../../cli/command.js';
import { parseChangeRequestId } from '../../cli/change-requests.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { ChangeRequest } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';
import { KryptError } from '../../lib/errors.js';

export default defineCommand({
  id: 'change-requests:reject',
  description: 'Reject a pending change request (Owner/Admin) with a reason the requester will see.',
  aliases: ['cr:reject'],
  examples: ['krypt cr reject 3 --reason "use the staging URL"'],
  args: { id: arg({ required: true, description: 'change request number' }) },
  flags: {
    ...apiFlags,
    ...projectFlag,
    reason: flag.string({ char: 'r', description: 'why (shown to the requester)', required: true }),
  },
  async run(ctx, { args, flags }): Promise<{ changeRequest: ChangeRequest }> {
    const id = parseChangeRequestId(args.id);
    const reason = flags.reason.trim();
    if (!reason) throw new KryptError('usage', 'the reason is empty', { hint: `run \`krypt cr reject ${id} --reason "..."\`` });
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { changeRequest } = await openSession(ctx.deps, flags, 'change-requests reject').client.rejectChangeRequest(project, id, reason);
    ctx.say(`Rejected change request #${changeRequest.id}; nothing was applied.`);
    return { changeRequest };
  },
});
