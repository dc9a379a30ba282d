import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { Project } from '../../contract/api.js';
import { SLUG_PATTERN } from '../../contract/constants.js';
import { KryptError } from '../../lib/errors.js';

export default defineCommand({
  id: 'projects:create',
  description: 'Create a project (you become its Owner) with its development, staging and production environments.',
  examples: ['krypt projects create my-app'],
  args: { slug: arg({ required: true, description: 'lowercase letters, digits and "-", 1-64 characters' }) },
  flags: { ...apiFlags },
  async run(ctx, { args, flags }): Promise<{ project: Project }> {
    if (!SLUG_PATTERN.test(args.slug)) {
      throw new KryptError('invalid_project', `invalid project slug "${args.slug}"`, { hint: 'use 1-64 lowercase letters, digits or "-", e.g. my-app' });
    }
    const { project } = await openSession(ctx.deps, flags, 'projects create').client.createProject(args.slug);
    ctx.say(`Created project ${project.slug}; you are its owner. Next: \`krypt init --project ${project.slug}\``);
    return { project };
  },
});
