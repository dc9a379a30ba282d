import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { WebhookDelivery } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

export default defineCommand({
  id: 'webhooks:test',
  description: 'Send a signed webhook.test event to a webhook now (Owner/Admin); `krypt webhooks deliveries ID` shows how it went.',
  examples: ['krypt webhooks test 3f0c2a9e-1d2b-4c5d-8e9f-0a1b2c3d4e5f'],
  args: { id: arg({ required: true, description: 'the webhook id (`krypt webhooks list`)' }) },
  flags: { ...apiFlags, ...projectFlag },
  async run(ctx, { args, flags }): Promise<{ project: string; delivery: WebhookDelivery }> {
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { delivery } = await openSession(ctx.deps, flags, 'webhooks test').client.testWebhook(project, args.id);
    ctx.say(`Queued test delivery ${delivery.id}; see \`krypt webhooks deliveries ${args.id}\`.`);
    return { project, delivery };
  },
});
