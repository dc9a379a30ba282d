import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import type { Invite } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

export default class MembersInvites extends KryptCommand<{ project: string; invites: Invite[] }> {
  static override description = 'List the project\'s pending invites: email, role, who invited, until when (never the code).';
  static override flags = { ...apiFlags, ...projectFlag };

  async run(): Promise<{ project: string; invites: Invite[] }> {
    const { flags } = await this.parse(MembersInvites);
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const { invites } = await openSession(this.deps, flags, 'members invites').client.listInvites(project);
    if (invites.length === 0) this.say(`No pending invites in ${project}.`);
    const rows = invites.map((i) => [i.id, i.email, i.role, i.invitedBy, i.expiresAt]);
    this.print(renderTable(['id', 'email', 'role', 'invited by', 'expires'], rows, Boolean(this.deps.stdout.isTTY)));
    return { project, invites };
  }
}
