import { defineCommand } from '../cli/command.js';
import { apiFlags } from '../cli/flags.js';
import { renderTable } from '../cli/render.js';
import { openSession } from '../cli/session.js';
import type { Project } from '../contract/api.js';

export default defineCommand({
  id: 'list',
  description: 'List the projects you belong to, with your role.',
  examples: ['krypt list', 'krypt list --json'],
  aliases: ['projects:list'],
  flags: { ...apiFlags },
  async run(ctx, { flags }): Promise<{ projects: Project[] }> {
    const { projects } = await openSession(ctx.deps, flags, 'list').client.listProjects();
    if (projects.length === 0) ctx.say('You belong to no project yet. Create one with `krypt projects create SLUG`.');
    ctx.print(renderTable(['project', 'role', 'created'], projects.map((p) => [p.slug, p.role, p.createdAt]), Boolean(ctx.deps.stdout.isTTY)));
    return { projects };
  },
});
