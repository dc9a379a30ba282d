import { caller, clientInfo } from '../plugins/auth.js';
import { DASHBOARD_PAGES } from '../../contract/dashboard-paths.js';
import { requireSameOrigin, serverOrigin, setSessionCookie, type SiteOptions } from '../plugins/session-cookie.js';
import type { InvitesService } from '../services/invites-service.js';
import type { MembersService } from '../services/members-service.js';
import type { RouteHandlers } from './register-routes.js';

type MemberRoutes =
  | 'listMembers'
  | 'createInvite'
  | 'listInvites'
  | 'revokeInvite'
  | 'acceptInvite'
  | 'redeemInvite'
  | 'removeMember'
  | 'setMemberRole'
  | 'transferOwnership';

/**
 * A project's members, invites and ownership, and joining by invite. POST /v1/invites/redeem needs
 * no key (the code is the credential): `invites.redeem` should count failed codes. Redeemed from the
 * dashboard (`session: true`), the new account is signed in with a session cookie instead of a key.
 */
export function membersRoutes(members: MembersService, invites: InvitesService, site: SiteOptions): RouteHandlers<MemberRoutes> {
  return {
    listMembers: (req) => members.list(caller(req), req.params.slug),
    createInvite: async (req, reply) => {
      const origin = serverOrigin(req, site);
      const created = await invites.create(caller(req), req.params.slug, req.body, origin);
      // The code travels in the fragment, as a sign-in link's does.
      const url = `${origin}${DASHBOARD_PAGES.invite}#${new URLSearchParams({ code: created.code }).toString()}`;
      return reply.code(201).header('cache-control', 'no-store').send({ ...created, url });
    },
    listInvites: (req) => invites.list(caller(req), req.params.slug),
    revokeInvite: (req) => invites.revoke(caller(req), req.params.slug, req.params.id),
    acceptInvite: (req) => invites.accept(caller(req), req.body),
    redeemInvite: async (req, reply) => {
      requireSameOrigin(req, site);
      const redeemed = await invites.redeem(clientInfo(req), req.body);
      if (!('started' in redeemed)) return reply.code(201).send(redeemed);
      const { started, ...rest } = redeemed;
      setSessionCookie(reply, started.token, started.maxAgeSeconds, site);
      return reply.code(201).send({ ...rest, session: started.session, csrfToken: started.csrfToken });
    },
    removeMember: (req) => members.remove(caller(req), req.params.slug, req.params.email),
    setMemberRole: (req) => members.setRole(caller(req), req.params.slug, req.params.email, req.body.role),
    transferOwnership: (req) => members.transferOwnership(caller(req), req.params.slug, req.body.email),
  };
}
