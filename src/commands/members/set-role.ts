import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import { ASSIGNABLE_ROLES } from '../../contract/constants.js';
import type { Member } from '../../contract/index.js';
import type { AssignableRole } from '../../lib/api/client.js';
import { resolveProject } from '../../lib/config/context.js';
import { parseEmail } from '../../lib/teams/email.js';

export default defineCommand({
  id: 'members:set-role',
  description: 'Change a member\'s role (Owner/Admin). Ownership moves only with `krypt members transfer-ownership`.',
  examples: ['krypt members set-role ana@example.com admin'],
  args: {
    email: arg({ required: true, description: 'email of the member' }),
    role: arg({ required: true, description: 'new role', options: [...ASSIGNABLE_ROLES] }),
  },
  flags: { ...apiFlags, ...projectFlag },
  async run(ctx, { args, flags }): Promise<{ project: string; member: Member }> {
    const email = await parseEmail(args.email);
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { member } = await openSession(ctx.deps, flags, 'members set-role').client.setMemberRole(project, email, args.role as AssignableRole);
    ctx.say(`${member.email} is now ${member.role} of ${project}.`);
    return { project, member };
  },
});
