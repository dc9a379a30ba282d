import { Args } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { Role } from '../../contract/index.js';
import { KryptError } from '../../lib/errors.js';

interface AcceptResult {
  user: string;
  project: string;
  role: Role;
}

export default class InvitesAccept extends KryptCommand<AcceptResult> {
  static override description = [
    'Accept an invitation with the account you are logged in as (the invite must be for its email).',
    'Nothing about your login changes: the project is added to the projects you can reach with your key.',
  ].join('\n');
  static override examples = ['<%= config.bin %> invites accept kinv_...'];
  static override args = { code: Args.string({ required: true, description: 'the one-time code from `krypt members invite`' }) };
  static override flags = { ...apiFlags };

  async run(): Promise<AcceptResult> {
    const { args, flags } = await this.parse(InvitesAccept);
    const code = args.code.trim();
    if (!code) throw new KryptError('usage', 'the invite code is empty', { hint: 'pass the code from `krypt members invite`' });
    const { client } = openSession(this.deps, flags, 'invites accept');
    const me = await client.me();
    const joined = await client.acceptInvite(code);
    this.say(`Accepted the invite as ${me.user.email}: you joined ${joined.project} as ${joined.role}.`);
    this.say(`Next: \`krypt init --project ${joined.project}\` in your project's directory.`);
    return { user: me.user.email, ...joined };
  }
}
