import { Args, Flags } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import { ASSIGNABLE_ROLES, type Invite } from '../../contract/index.js';
import type { AssignableRole } from '../../lib/api/client.js';
import { resolveProject } from '../../lib/config/context.js';
import { parseEmail } from '../../lib/teams/email.js';
import { parseDuration } from '../../lib/time/duration.js';

interface InviteResult {
  invite: Invite;
  code: string;
  command: string;
}

export default class MembersInvite extends KryptCommand<InviteResult> {
  static override description = [
    'Invite someone to the project with a role. Prints, once, the command the invitee runs to join:',
    '`krypt login --invite CODE --api-url URL` (the code works once, until it expires). Someone new gets an account;',
    'someone who already has one runs it while logged in (or `krypt invites accept CODE`), so the code never signs',
    'anyone in to an existing account.',
  ].join('\n');
  static override examples = ['<%= config.bin %> members invite ana@example.com --role member', '<%= config.bin %> members invite ci-owner@example.com --role admin --expires 1d'];
  static override args = { email: Args.string({ required: true, description: 'email of the person to invite' }) };
  static override flags = {
    ...apiFlags,
    ...projectFlag,
    role: Flags.string({ char: 'r', description: 'role to grant', options: [...ASSIGNABLE_ROLES], required: true }),
    expires: Flags.string({ description: 'how long the code stays valid (e.g. 12h, 7d; at most 30d)', default: '7d' }),
  };

  async run(): Promise<InviteResult> {
    const { args, flags } = await this.parse(MembersInvite);
    const email = parseEmail(args.email);
    const expiresInSeconds = parseDuration(flags.expires, '--expires');
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const session = openSession(this.deps, flags, 'members invite');
    const { invite, code } = await session.client.createInvite(project, { email, role: flags.role as AssignableRole, expiresInSeconds });
    const command = `krypt login --invite ${code} --api-url ${session.apiUrl}`;
    this.say(`Invited ${invite.email} to ${project} as ${invite.role}; the code works once, until ${invite.expiresAt}.`);
    this.say('Give them this command (it is shown only now; if they already have an account, they run it while logged in):');
    this.print(command + '\n');
    return { invite, code, command };
  }
}
