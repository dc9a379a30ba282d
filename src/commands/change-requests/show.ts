import { Args, Flags } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { parseChangeRequestId } from '../../cli/change-requests.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { renderChanges } from '../../cli/render.js';
import { openSession } from '../../cli/session.js';
import type { ChangeRequest } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';

interface ShowResult {
  changeRequest: ChangeRequest;
  diff: Array<{ key: string; change: 'added' | 'changed' | 'removed' | 'unchanged'; current?: string | null; proposed?: string | null }>;
}

export default class ChangeRequestsShow extends KryptCommand<ShowResult> {
  static override description = 'Show a change request: who asked, its outcome, and the diff against current values (masked unless --reveal).';
  static override aliases = ['cr:show'];
  static override examples = ['<%= config.bin %> cr show 3', '<%= config.bin %> cr show 3 --reveal'];
  static override args = { id: Args.string({ required: true, description: 'change request number' }) };
  static override flags = {
    ...apiFlags,
    ...projectFlag,
    reveal: Flags.boolean({ description: 'show current and proposed values (recorded as a read)' }),
  };

  async run(): Promise<ShowResult> {
    const { args, flags } = await this.parse(ChangeRequestsShow);
    const id = parseChangeRequestId(args.id);
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const { changeRequest: cr, diff } = await openSession(this.deps, flags, 'change-requests show').client.getChangeRequest(project, id, flags.reveal);
    const lines = [
      `Change request #${cr.id} to ${cr.project}/${cr.environment}: ${cr.status}`,
      `Requested by ${cr.requestedBy} at ${cr.createdAt} (based on revision ${cr.baseRevision})`,
    ];
    if (cr.decidedBy) lines.push(`${cr.status === 'cancelled' ? 'Cancelled' : 'Decided'} by ${cr.decidedBy} at ${cr.decidedAt ?? '?'}${cr.reason ? `: ${cr.reason}` : ''}`);
    const entries = diff.map((d) => ({ key: d.key, change: d.change, from: d.current, to: d.proposed }));
    this.print(lines.join('\n') + '\n\n' + renderChanges(entries, flags.reveal));
    return { changeRequest: cr, diff };
  }
}
