import { arg, defineCommand } from '../../cli/command.js';
import { apiFlags, projectFlag } from '../../cli/flags.js';
import { openSession } from '../../cli/session.js';
import type { Invite } from '../../contract/index.js';
import { resolveProject } from '../../lib/config/context.js';
import { KryptError } from '../../lib/errors.js';

export default defineCommand({
  id: 'members:revoke-invite',
  description: 'Revoke a pending invite by email or id (Owner/Admin): its code stops working at once.',
  examples: ['krypt members revoke-invite ana@example.com'],
  args: { invite: arg({ required: true, description: 'email of the invitee, or the invite id from `krypt members invites`' }) },
  flags: { ...apiFlags, ...projectFlag },
  async run(ctx, { args, flags }): Promise<{ project: string; revoked: Invite }> {
    const project = resolveProject(flags, ctx.deps.env, ctx.deps.cwd);
    const { client } = openSession(ctx.deps, flags, 'members revoke-invite');
    const wanted = args.invite.trim().toLowerCase();
    const invite = (await client.listInvites(project)).invites.find((i) => i.id === args.invite.trim() || i.email === wanted);
    if (!invite) {
      throw new KryptError('not_found', `no pending invite for "${args.invite}" in ${project}`, { kind: 'remote', hint: 'run `krypt members invites` to see them' });
    }
    await client.revokeInvite(project, invite.id);
    ctx.say(`Revoked the invite of ${invite.email} (${invite.role}) to ${project}.`);
    return { project, revoked: invite };
  },
});
