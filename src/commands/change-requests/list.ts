import { Flags } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { CHANGE_REQUEST_HEADERS, changeRequestRow } from '../../cli/change-requests.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import { CHANGE_REQUEST_STATUSES, type ChangeRequest } from '../../contract/index.js';
import type { ChangeRequestStatus } from '../../lib/api/client.js';
import { resolveProject } from '../../lib/config/context.js';

export default class ChangeRequestsList extends KryptCommand<{ project: string; changeRequests: ChangeRequest[] }> {
  static override description = 'List the project\'s change requests (newest first) with their status and outcome.';
  static override aliases = ['cr:list'];
  static override examples = ['<%= config.bin %> change-requests list --status pending', '<%= config.bin %> cr list'];
  static override flags = {
    ...apiFlags,
    ...projectFlag,
    status: Flags.string({ char: 's', description: 'only requests with this status', options: [...CHANGE_REQUEST_STATUSES] }),
  };

  async run(): Promise<{ project: string; changeRequests: ChangeRequest[] }> {
    const { flags } = await this.parse(ChangeRequestsList);
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const { changeRequests } = await openSession(this.deps, flags, 'change-requests list').client.listChangeRequests(project, flags.status as ChangeRequestStatus | undefined);
    if (changeRequests.length === 0) this.say(`No ${flags.status ? `${flags.status} ` : ''}change requests in ${project}.`);
    this.print(renderTable(CHANGE_REQUEST_HEADERS, changeRequests.map(changeRequestRow), Boolean(this.deps.stdout.isTTY)));
    return { project, changeRequests };
  }
}
