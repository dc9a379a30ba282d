import { arg, defineCommand, flag } from '../../cli/command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import { ASSIGNABLE_ROLES } from '../../contract/constants.js';
import type { Invite } from '../../contract/index.js';
import type { AssignableRole } from '../../lib/api/client.js';
import { resolveProject } from '../../lib/config/context.js';
import { parseEmail } from '../../lib/teams/email.js';
import { parseDuration } from '../../lib/time/duration.js';

interface InviteResult {
  invite: Invite;
  code: string;
  command: string;
  url: string;
}

export default defineCommand({
  id: 'members:invite',
  description: [
    'Invite someone to the project with a role. Prints, once, the command the invitee runs to join:',
    '`krypt login --invite CODE --api-url URL` (the code works once, until it expires). Someone new gets an account;',
    'someone who already has one runs it while logged in (or `krypt invites accept CODE`), so the code never signs',
    'anyone in to an existing account. With --json the output also carries `url`, the dashboard\'s page where',
    'someone new accepts the invite in the browser.',
  ].join('\n'),
  examples: ['krypt members invite ana@example.com --role member', 'krypt members invite ci-owner@example.com --role admin --expires 1d'],
  args: { email: arg({ required: true, description: 'email of the person to invite' }) },
  flags: {
    ...apiFlags,
    ...projectFlag,
    role: flag.string({ char: 'r', description: 'role to grant', options: [...ASSIGNABLE_ROLES], required: true }),
    expires: flag.string({ description: 'how long the code stays valid (e.g. 12h, 7d; at most 30d)', default: '7d' }),
  },
  async run(ctx, { args, flags }): Promise<InviteResult> {
    const email = await parseEmail(args.email);
    const expiresInSeconds = parseDuration(flags.expires, '--expires');
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const session = openSession(ctx.deps, flags, 'members invite');
    const { invite, code, url } = await session.client.createInvite(project, { email, role: flags.role as AssignableRole, expiresInSeconds });
    const command = `krypt login --invite ${code} --api-url ${session.apiUrl}`;
    ctx.say(`Invited ${invite.email} to ${project} as ${invite.role}; the code works once, until ${invite.expiresAt}.`);
    ctx.say('Give them this command (it is shown only now; if they already have an account, they run it while logged in):');
    ctx.print(command + '\n');
    return { invite, code, command, url };
  },
});
