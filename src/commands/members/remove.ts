import { Args } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags, projectFlag, yesFlag } from '../../cli/flags.js';
import { confirmAction } from '../../cli/prompt.js';
import { openSession } from '../../cli/session.js';
import { resolveProject } from '../../lib/config/context.js';
import { parseEmail } from '../../lib/teams/email.js';

export default class MembersRemove extends KryptCommand<{ project: string; removed: string }> {
  static override description = 'Remove a member from the project (Owner/Admin; the Owner cannot be removed). Asks to confirm, or pass --yes.';
  static override args = { email: Args.string({ required: true, description: 'email of the member' }) };
  static override flags = { ...apiFlags, ...projectFlag, ...yesFlag };

  async run(): Promise<{ project: string; removed: string }> {
    const { args, flags } = await this.parse(MembersRemove);
    const email = parseEmail(args.email);
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const session = openSession(this.deps, flags, 'members remove');
    await confirmAction(this.deps, flags.yes, `Remove ${email} from ${project}? Their access ends immediately.`, `remove ${email}`);
    await session.client.removeMember(project, email);
    this.say(`Removed ${email} from ${project}.`);
    return { project, removed: email };
  }
}
