import { Args, Flags } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags } from '../../cli/flags.js';
import { promptInput } from '../../cli/prompt.js';
import { openSession } from '../../cli/session.js';
import { KryptError } from '../../lib/errors.js';

export default class ProjectsDelete extends KryptCommand<{ deleted: string }> {
  static override description = 'Delete a project and all its secrets (Owner only). Asks you to type the slug, or pass --confirm SLUG.';
  static override args = { slug: Args.string({ required: true }) };
  static override flags = {
    ...apiFlags,
    confirm: Flags.string({ description: 'the slug again, to confirm without a prompt (for scripts)' }),
  };

  async run(): Promise<{ deleted: string }> {
    const { args, flags } = await this.parse(ProjectsDelete);
    const session = openSession(this.deps, flags, 'projects delete');
    let typed = flags.confirm;
    if (typed === undefined) {
      if (!this.interactive) {
        throw new KryptError('confirmation_required', 'refusing to delete without confirmation: stdin is not a terminal', {
          hint: `pass --confirm ${args.slug}`,
        });
      }
      typed = await promptInput(this.deps, `This deletes ${args.slug} and every secret in it. Type the slug to confirm:`);
    }
    if (typed !== args.slug) {
      throw new KryptError('confirmation_mismatch', 'confirmation did not match the project slug; nothing deleted', {
        hint: `type exactly ${args.slug}`,
      });
    }
    await session.client.deleteProject(args.slug);
    this.say(`Deleted project ${args.slug}.`);
    return { deleted: args.slug };
  }
}
