import { Args } from '@oclif/core';
import { KryptCommand } from '../../cli/base-command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { Invite } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';
import { KryptError } from '../../lib/errors.js';

export default class MembersRevokeInvite extends KryptCommand<{ project: string; revoked: Invite }> {
  static override description = 'Revoke a pending invite by email or id (Owner/Admin): its code stops working at once.';
  static override examples = ['<%= config.bin %> members revoke-invite ana@example.com'];
  static override args = { invite: Args.string({ required: true, description: 'email of the invitee, or the invite id from `krypt members invites`' }) };
  static override flags = { ...apiFlags, ...projectFlag };

  async run(): Promise<{ project: string; revoked: Invite }> {
    const { args, flags } = await this.parse(MembersRevokeInvite);
    const project = resolveProject(flags, this.deps.env, this.deps.cwd);
    const { client } = openSession(this.deps, flags, 'members revoke-invite');
    const wanted = args.invite.trim().toLowerCase();
    const invite = (await client.listInvites(project)).invites.find((i) => i.id === args.invite.trim() || i.email === wanted);
    if (!invite) {
      throw new KryptError('not_found', `no pending invite for "${args.invite}" in ${project}`, { kind: 'remote', hint: 'run `krypt members invites` to see them' });
    }
    await client.revokeInvite(project, invite.id);
    this.say(`Revoked the invite of ${invite.email} (${invite.role}) to ${project}.`);
    return { project, revoked: invite };
  }
}
