import { KryptCommand } from '../cli/base-command.js';
import { apiFlags } from '../cli/flags.js';
import { renderTable } from '../cli/render.js';
import { openSession } from '../cli/session.js';
import type { Project } from '../contract/api.js';

export default class List extends KryptCommand<{ projects: Project[] }> {
  static override description = 'List the projects you belong to, with your role.';
  static override flags = { ...apiFlags };

  async run(): Promise<{ projects: Project[] }> {
    const { flags } = await this.parse(List);
    const { projects } = await openSession(this.deps, flags, 'list').client.listProjects();
    if (projects.length === 0) this.say('You belong to no project yet. Create one with `krypt projects create SLUG`.');
    this.print(renderTable(['project', 'role', 'created'], projects.map((p) => [p.slug, p.role, p.createdAt]), Boolean(this.deps.stdout.isTTY)));
    return { projects };
  }
}
