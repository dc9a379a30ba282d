import { Args } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { Project } from '../../contract/api.js';
import { SLUG_PATTERN } from '../../contract/names.js';
import { KryptError } from '../../lib/errors.js';

export default class ProjectsCreate extends KryptCommand<{ project: Project }> {
  static override description = 'Create a project (you become its Owner) with its development, staging and production environments.';
  static override args = { slug: Args.string({ required: true, description: 'lowercase letters, digits and "-", 1-64 characters' }) };
  static override flags = { ...apiFlags };

  async run(): Promise<{ project: Project }> {
    const { args, flags } = await this.parse(ProjectsCreate);
    if (!SLUG_PATTERN.test(args.slug)) {
      throw new KryptError('invalid_project', `invalid project slug "${args.slug}"`, { hint: 'use 1-64 lowercase letters, digits or "-", e.g. my-app' });
    }
    const { project } = await openSession(this.deps, flags, 'projects create').client.createProject(args.slug);
    this.say(`Created project ${project.slug}; you are its owner. Next: \`krypt init --project ${project.slug}\``);
    return { project };
  }
}
