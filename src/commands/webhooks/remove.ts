import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag, yesFlag } from '../../cli/flags.js';
import { confirmAction } from '../../cli/prompt.js';
import { openSession } from '../../cli/session.js';
import { resolveProject } from '../../lib/config/context.js';

export default defineCommand({
  id: 'webhooks:remove',
  description: 'Remove a webhook from the project (Owner/Admin); deliveries not yet sent to it are dropped. Asks to confirm, or pass --yes.',
  examples: ['krypt webhooks remove 3f0c2a9e-1d2b-4c5d-8e9f-0a1b2c3d4e5f --yes'],
  args: { id: arg({ required: true, description: 'the webhook id (`krypt webhooks list`)' }) },
  flags: { ...apiFlags, ...projectFlag, ...yesFlag },
  async run(ctx, { args, flags }): Promise<{ project: string; removed: string }> {
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const session = openSession(ctx.deps, flags, 'webhooks remove');
    await confirmAction(ctx.deps, flags.yes, `Remove webhook ${args.id} from ${project}?`, `remove webhook ${args.id}`);
    await session.client.deleteWebhook(project, args.id);
    ctx.say(`Removed webhook ${args.id} from ${project}.`);
    return { project, removed: args.id };
  },
});
