import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag, yesFlag } from '../../cli/flags.js';
import { confirmAction } from '../../cli/prompt.js';
import { openSession } from '../../cli/session.js';
import { resolveProject } from '../../lib/config/context.js';
import { parseEmail } from '../../lib/teams/email.js';

export default defineCommand({
  id: 'members:remove',
  description: 'Remove a member from the project (Owner/Admin; the Owner cannot be removed). Asks to confirm, or pass --yes.',
  examples: ['krypt members remove ana@example.com --yes'],
  args: { email: arg({ required: true, description: 'email of the member' }) },
  flags: { ...apiFlags, ...projectFlag, ...yesFlag },
  async run(ctx, { args, flags }): Promise<{ project: string; removed: string }> {
    const email = await parseEmail(args.email);
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const session = openSession(ctx.deps, flags, 'members remove');
    await confirmAction(ctx.deps, flags.yes, `Remove ${email} from ${project}? Their access ends immediately.`, `remove ${email}`);
    await session.client.removeMember(project, email);
    ctx.say(`Removed ${email} from ${project}.`);
    return { project, removed: email };
  },
});
