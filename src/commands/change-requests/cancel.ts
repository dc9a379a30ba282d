import { arg, defineCommand } from '../../cli/command.js';
import { parseChangeRequestId } from '../../cli/change-requests.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { ChangeRequest } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

export default defineCommand({
  id: 'change-requests:cancel',
  description: 'Cancel your own pending change request.',
  examples: ['krypt cr cancel 3'],
  aliases: ['cr:cancel'],
  args: { id: arg({ required: true, description: 'change request number' }) },
  flags: { ...apiFlags, ...projectFlag },
  async run(ctx, { args, flags }): Promise<{ changeRequest: ChangeRequest }> {
    const id = parseChangeRequestId(args.id);
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { changeRequest } = await openSession(ctx.deps, flags, 'change-requests cancel').client.cancelChangeRequest(project, id);
    ctx.say(`Cancelled change request #${changeRequest.id}.`);
    return { changeRequest };
  },
});
