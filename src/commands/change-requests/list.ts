import { defineCommand, flag } from '../../cli/command.js';
import { CHANGE_REQUEST_HEADERS, changeRequestRow } from '../../cli/change-requests.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { renderTable } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import { CHANGE_REQUEST_STATUSES } from '../../contract/constants.js';
import type { ChangeRequest } from '../../contract/index.js';
import type { ChangeRequestStatus } from '../../lib/api/client.js';
import { resolveProject } from '../../lib/config/context.js';

export default defineCommand({
  id: 'change-requests:list',
  description: 'List the project\'s change requests (newest first) with their status and outcome.',
  aliases: ['cr:list'],
  examples: ['krypt change-requests list --status pending', 'krypt cr list'],
  flags: {
    ...apiFlags,
    ...projectFlag,
    status: flag.string({ char: 's', description: 'only requests with this status', options: [...CHANGE_REQUEST_STATUSES] }),
  },
  async run(ctx, { flags }): Promise<{ project: string; changeRequests: ChangeRequest[] }> {
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { changeRequests } = await openSession(ctx.deps, flags, 'change-requests list').client.listChangeRequests(project, flags.status as ChangeRequestStatus | undefined);
    if (changeRequests.length === 0) ctx.say(`No ${flags.status ? `${flags.status} ` : ''}change requests in ${project}.`);
    ctx.print(renderTable(CHANGE_REQUEST_HEADERS, changeRequests.map(changeRequestRow), Boolean(ctx.deps.stdout.isTTY)));
    return { project, changeRequests };
  },
});
