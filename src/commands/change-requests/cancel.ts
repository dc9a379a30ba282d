import { Args } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { parseChangeRequestId } from '../../cli/change-requests.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { ChangeRequest } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

export default class ChangeRequestsCancel extends KryptCommand<{ changeRequest: ChangeRequest }> {
  static override description = 'Cancel your own pending change request.';
  static override aliases = ['cr:cancel'];
  static override args = { id: Args.string({ required: true, description: 'change request number' }) };
  static override flags = { ...apiFlags, ...projectFlag };

  async run(): Promise<{ changeRequest: ChangeRequest }> {
    const { args, flags } = await this.parse(ChangeRequestsCancel);
    const id = parseChangeRequestId(args.id);
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const { changeRequest } = await openSession(this.deps, flags, 'change-requests cancel').client.cancelChangeRequest(project, id);
    this.say(`Cancelled change request #${changeRequest.id}.`);
    return { changeRequest };
  }
}
