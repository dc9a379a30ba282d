import { arg, defineCommand, flag } from '../../cli/command.js';
import { apiFlags } from '../../cli/flags.js';
import { promptInput } from '../../cli/prompt.js';
import { openSession } from '../../cli/session.js';
import { KryptError } from '../../lib/errors.js';

export default defineCommand({
  id: 'projects:delete',
  description: 'Delete a project and all its secrets (Owner only). Asks you to type the slug, or pass --confirm SLUG.',
  examples: ['krypt projects delete old-app --confirm old-app'],
  args: { slug: arg({ required: true, description: 'the project to delete' }) },
  flags: {
    ...apiFlags,
    confirm: flag.string({ description: 'the slug again, to confirm without a prompt (for scripts)' }),
  },
  async run(ctx, { args, flags }): Promise<{ deleted: string }> {
    const session = openSession(ctx.deps, flags, 'projects delete');
    let typed = flags.confirm;
    if (typed === undefined) {
      if (!ctx.interactive) {
        throw new KryptError('confirmation_required', 'refusing to delete without confirmation: stdin is not a terminal', {
          hint: `pass --confirm ${args.slug}`,
        });
      }
      typed = await promptInput(ctx.deps, `This deletes ${args.slug} and every secret in it. Type the slug to confirm:`);
    }
    if (typed !== args.slug) {
      throw new KryptError('confirmation_mismatch', 'confirmation did not match the project slug; nothing deleted', {
        hint: `type exactly ${args.slug}`,
      });
    }
    await session.client.deleteProject(args.slug);
    ctx.say(`Deleted project ${args.slug}.`);
    return { deleted: args.slug };
  },
});
