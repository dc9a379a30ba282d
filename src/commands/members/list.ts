import { KryptCommand } from '../../cli/base-command.js';
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

export default class MembersList extends KryptCommand<MembersListResult> {
  static override description = 'List the members of the project with their roles, and the invites not yet redeemed.';
  static override flags = { ...apiFlags, ...projectFlag };

  async run(): Promise<MembersListResult> {
    const { flags } = await this.parse(MembersList);
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const { members, invites } = await openSession(this.deps, flags, 'members list').client.listMembers(project);
    const rows = [
      ...members.map((m) => [m.email, m.name, m.role, 'member', m.addedAt]),
      ...invites.map((i) => [i.email, '', i.role, `invited until ${i.expiresAt}`, i.createdAt]),
    ];
    this.print(renderTable(['email', 'name', 'role', 'status', 'since'], rows, Boolean(this.deps.stdout.isTTY)));
    return { project, members, invites };
  }
}
