import { Args } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import { ASSIGNABLE_ROLES, type Member } from '../../contract/index.js';
import type { AssignableRole } from '../../lib/api/client.js';
import { resolveProject } from '../../lib/config/context.js';
import { parseEmail } from '../../lib/teams/email.js';

export default class MembersSetRole extends KryptCommand<{ project: string; member: Member }> {
  static override description = 'Change a member\'s role (Owner/Admin). Ownership moves only with `krypt members transfer-ownership`.';
  static override examples = ['<%= config.bin %> members set-role ana@example.com admin'];
  static override args = {
    email: Args.string({ required: true, description: 'email of the member' }),
    role: Args.string({ required: true, description: 'new role', options: [...ASSIGNABLE_ROLES] }),
  };
  static override flags = { ...apiFlags, ...projectFlag };

  async run(): Promise<{ project: string; member: Member }> {
    const { args, flags } = await this.parse(MembersSetRole);
    const email = parseEmail(args.email);
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const { member } = await openSession(this.deps, flags, 'members set-role').client.setMemberRole(project, email, args.role as AssignableRole);
    this.say(`${member.email} is now ${member.role} of ${project}.`);
    return { project, member };
  }
}
