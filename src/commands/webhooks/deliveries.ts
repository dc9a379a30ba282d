import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import type { WebhookDelivery } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

export default defineCommand({
  id: 'webhooks:deliveries',
  description: "A webhook's delivery log, newest first (Owner/Admin): each event, its state, attempts, the endpoint's last HTTP status and error.",
  examples: ['krypt webhooks deliveries 3f0c2a9e-1d2b-4c5d-8e9f-0a1b2c3d4e5f'],
  args: { id: arg({ required: true, description: 'the webhook id (`krypt webhooks list`)' }) },
  flags: { ...apiFlags, ...projectFlag },
  async run(ctx, { args, flags }): Promise<{ project: string; deliveries: WebhookDelivery[] }> {
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { deliveries } = await openSession(ctx.deps, flags, 'webhooks deliveries').client.listWebhookDeliveries(project, args.id);
    const rows = deliveries.map((d) => [d.createdAt, d.event, d.status, String(d.attempts), d.responseStatus === null ? '' : String(d.responseStatus), d.lastError ?? '']);
    if (rows.length === 0) ctx.say(`No deliveries to webhook ${args.id} yet.`);
    else ctx.print(renderTable(['at', 'event', 'status', 'attempts', 'http', 'last error'], rows, Boolean(ctx.deps.stdout.isTTY)));
    return { project, deliveries };
  },
});
