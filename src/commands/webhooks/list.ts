import { defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import type { WebhookInfo } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

export default defineCommand({
  id: 'webhooks:list',
  description: "List the project's webhooks and the events each receives (Owner/Admin). Secrets are never shown again.",
  examples: ['krypt webhooks list', 'krypt webhooks list -p my-app --json'],
  flags: { ...apiFlags, ...projectFlag },
  async run(ctx, { flags }): Promise<{ project: string; webhooks: WebhookInfo[] }> {
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { webhooks } = await openSession(ctx.deps, flags, 'webhooks list').client.listWebhooks(project);
    if (webhooks.length === 0) ctx.say(`No webhooks in ${project}; add one with \`krypt webhooks add URL --events ...\`.`);
    else ctx.print(renderTable(['id', 'url', 'events', 'created by', 'since'], webhooks.map((w) => [w.id, w.url, w.events.join(','), w.createdBy, w.createdAt]), Boolean(ctx.deps.stdout.isTTY)));
    return { project, webhooks };
  },
});
