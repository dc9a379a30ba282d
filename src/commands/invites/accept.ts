import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { Role } from '../../contract/index.js';
import { KryptError } from '../../lib/errors.js';

interface AcceptResult {
  user: string;
  project: string;
  role: Role;
}

export default defineCommand({
  id: 'invites:accept',
  description: [
    'Accept an invitation with the account you are logged in as (the invite must be for its email).',
    'Nothing about your login changes: the project is added to the projects you can reach with your key.',
  ].join('\n'),
  examples: ['krypt invites accept kinv_...'],
  args: { code: arg({ required: true, description: 'the one-time code from `krypt members invite`' }) },
  flags: { ...apiFlags },
  async run(ctx, { args, flags }): Promise<AcceptResult> {
    const code = args.code.trim();
    if (!code) throw new KryptError('usage', 'the invite code is empty', { hint: 'pass the code from `krypt members invite`' });
    const { client } = openSession(ctx.deps, flags, 'invites accept');
    const me = await client.me();
    const joined = await client.acceptInvite(code);
    ctx.say(`Accepted the invite as ${me.user.email}: you joined ${joined.project} as ${joined.role}.`);
    ctx.say(`Next: \`krypt init --project ${joined.project}\` in your project's directory.`);
    return { user: me.user.email, ...joined };
  },
});
