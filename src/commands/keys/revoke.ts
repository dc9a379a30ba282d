import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';

export default defineCommand({
  id: 'keys:revoke',
  description: 'Revoke an API key or service token by id (from `krypt keys list`); it stops working at once.',
  examples: ['krypt keys revoke KEY_ID'],
  args: { id: arg({ required: true, description: 'key id' }) },
  flags: { ...apiFlags },
  async run(ctx, { args, flags }): Promise<{ revoked: string }> {
    await openSession(ctx.deps, flags, 'keys revoke').client.revokeApiKey(args.id);
    ctx.say(`Revoked key ${args.id}.`);
    return { revoked: args.id };
  },
});
