import { Args } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
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

export default class MembersTransferOwnership extends KryptCommand<TransferResult> {
  static override description = 'Make another member the Owner (Owner only); you become an Admin. Asks to confirm, or pass --yes.';
  static override args = { email: Args.string({ required: true, description: 'email of the member who becomes Owner' }) };
  static override flags = { ...apiFlags, ...projectFlag, ...yesFlag };

  async run(): Promise<TransferResult> {
    const { args, flags } = await this.parse(MembersTransferOwnership);
    const email = parseEmail(args.email);
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const session = openSession(this.deps, flags, 'members transfer-ownership');
    await confirmAction(this.deps, flags.yes, `Make ${email} the Owner of ${project}? You become an Admin and cannot undo this yourself.`, 'transfer ownership');
    const { owner, previousOwner } = await session.client.transferOwnership(project, email);
    this.say(`${owner.email} is now the Owner of ${project}; ${previousOwner.email} is ${previousOwner.role}.`);
    return { project, owner, previousOwner };
  }
}
