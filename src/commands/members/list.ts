import { defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import type { Invite, Member } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

interface MembersListResult {
  project: string;
  members: Member[];
  invites: Invite[];
}

export default defineCommand({
  id: 'members:list',
  description: 'List the members of the project with their roles, and the invites not yet redeemed.',
  examples: ['krypt members list', 'krypt members list -p my-app --json'],
  flags: { ...apiFlags, ...projectFlag },
  async run(ctx, { flags }): Promise<MembersListResult> {
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { members, invites } = await openSession(ctx.deps, flags, 'members list').client.listMembers(project);
    const rows = [
      ...members.map((m) => [m.email, m.name, m.role, 'member', m.addedAt]),
      ...invites.map((i) => [i.email, '', i.role, `invited until ${i.expiresAt}`, i.createdAt]),
    ];
    ctx.print(renderTable(['email', 'name', 'role', 'status', 'since'], rows, Boolean(ctx.deps.stdout.isTTY)));
    return { project, members, invites };
  },
});
