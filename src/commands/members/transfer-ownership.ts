import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag, yesFlag } from '../../cli/flags.js';
import { confirmAction } from '../../cli/prompt.js';
import { openSession } from '../../cli/session.js';
import type { Member } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';
import { parseEmail } from '../../lib/teams/email.js';

interface TransferResult {
  project: string;
  owner: Member;
  previousOwner: Member;
}

export default defineCommand({
  id: 'members:transfer-ownership',
  description: 'Make another member the Owner (Owner only); you become an Admin. Asks to confirm, or pass --yes.',
  examples: ['krypt members transfer-ownership ana@example.com'],
  args: { email: arg({ required: true, description: 'email of the member who becomes Owner' }) },
  flags: { ...apiFlags, ...projectFlag, ...yesFlag },
  async run(ctx, { args, flags }): Promise<TransferResult> {
    const email = await parseEmail(args.email);
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const session = openSession(ctx.deps, flags, 'members transfer-ownership');
    await confirmAction(ctx.deps, flags.yes, `Make ${email} the Owner of ${project}? You become an Admin and cannot undo this yourself.`, 'transfer ownership');
    const { owner, previousOwner } = await session.client.transferOwnership(project, email);
    ctx.say(`${owner.email} is now the Owner of ${project}; ${previousOwner.email} is ${previousOwner.role}.`);
    return { project, owner, previousOwner };
  },
});
