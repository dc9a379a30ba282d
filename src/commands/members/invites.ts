import { defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import type { Invite } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

export default defineCommand({
  id: 'members:invites',
  description: 'List the project\'s pending invites: email, role, who invited, until when (never the code).',
  examples: ['krypt members invites'],
  flags: { ...apiFlags, ...projectFlag },
  async run(ctx, { flags }): Promise<{ project: string; invites: Invite[] }> {
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { invites } = await openSession(ctx.deps, flags, 'members invites').client.listInvites(project);
    if (invites.length === 0) ctx.say(`No pending invites in ${project}.`);
    const rows = invites.map((i) => [i.id, i.email, i.role, i.invitedBy, i.expiresAt]);
    ctx.print(renderTable(['id', 'email', 'role', 'invited by', 'expires'], rows, Boolean(ctx.deps.stdout.isTTY)));
    return { project, invites };
  },
});
