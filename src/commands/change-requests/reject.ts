import { Args, Flags } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { parseChangeRequestId } from '../../cli/change-requests.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { ChangeRequest } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';
import { KryptError } from '../../lib/errors.js';

export default class ChangeRequestsReject extends KryptCommand<{ changeRequest: ChangeRequest }> {
  static override description = 'Reject a pending change request (Owner/Admin) with a reason the requester will see.';
  static override aliases = ['cr:reject'];
  static override examples = ['<%= config.bin %> cr reject 3 --reason "use the staging URL"'];
  static override args = { id: Args.string({ required: true, description: 'change request number' }) };
  static override flags = {
    ...apiFlags,
    ...projectFlag,
    reason: Flags.string({ char: 'r', description: 'why (shown to the requester)', required: true }),
  };

  async run(): Promise<{ changeRequest: ChangeRequest }> {
    const { args, flags } = await this.parse(ChangeRequestsReject);
    const id = parseChangeRequestId(args.id);
    const reason = flags.reason.trim();
    if (!reason) throw new KryptError('usage', 'the reason is empty', { hint: `run \`krypt cr reject ${id} --reason "..."\`` });
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const { changeRequest } = await openSession(this.deps, flags, 'change-requests reject').client.rejectChangeRequest(project, id, reason);
    this.say(`Rejected change request #${changeRequest.id}; nothing was applied.`);
    return { changeRequest };
  }
}
