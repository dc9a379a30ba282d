import { arg, defineCommand, flag } from '../../cli/command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import { WEBHOOK_EVENTS, type WebhookEvent } from '../../contract/constants.js';
import type { WebhookInfo } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';
import { KryptError } from '../../lib/errors.js';

export default defineCommand({
  id: 'webhooks:add',
  description: [
    'Add a webhook to the project (Owner/Admin): the URL gets a signed POST (Standard Webhooks: webhook-id,',
    'webhook-timestamp, webhook-signature) for each chosen event, with key names but never values. The signing',
    'secret (whsec_...) is printed once: give it to the receiver to verify signatures. Events: ' + WEBHOOK_EVENTS.join(', ') + '.',
  ].join('\n'),
  examples: ['krypt webhooks add https://ci.example.com/hooks/krypt --events secrets.changed,change_request.decided'],
  args: { url: arg({ required: true, description: 'https:// (or http://) URL that receives the events' }) },
  flags: {
    ...apiFlags,
    ...projectFlag,
    events: flag.string({ description: `events to send, comma-separated or repeated (${WEBHOOK_EVENTS.join(', ')})`, multiple: true, required: true }),
  },
  async run(ctx, { args, flags }): Promise<{ project: string; webhook: WebhookInfo; secret: string }> {
    const events = parseEvents(flags.events);
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { webhook, secret } = await openSession(ctx.deps, flags, 'webhooks add').client.createWebhook(project, { url: args.url, events });
    ctx.say(`Added webhook ${webhook.id} to ${project} for ${webhook.events.join(', ')}. Its signing secret, shown once:`);
    ctx.print(`${secret}\n`);
    return { project, webhook, secret };
  },
});

/** `--events a,b --events c` -> the known events, each once; an unknown one is a usage error naming the valid ones. */
function parseEvents(values: readonly string[]): WebhookEvent[] {
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(WEBHOOK_EVENTS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new KryptError('usage', unknown.length > 0 ? `unknown webhook event ${unknown.map((u) => `"${u}"`).join(', ')}` : 'name at least one event', {
      hint: `choose from ${WEBHOOK_EVENTS.join(', ')}`,
    });
  }
  return [...new Set(names)] as WebhookEvent[];
}
