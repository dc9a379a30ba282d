import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  acceptInviteRequestSchema,
  acceptInviteResponseSchema,
  createInviteRequestSchema,
  createInviteResponseSchema,
  inviteParamsSchema,
  invitesResponseSchema,
  memberParamsSchema,
  memberResponseSchema,
  membersResponseSchema,
  projectParamsSchema,
  redeemInviteRequestSchema,
  redeemInviteResponseSchema,
  setRoleRequestSchema,
  transferOwnershipRequestSchema,
  transferOwnershipResponseSchema,
} from '../../contract/index.js';
import { caller, clientInfo } from '../plugins/auth.js';
import type { InvitesService } from '../services/invites-service.js';
import type { MembersService } from '../services/members-service.js';

const BASE = '/projects/:slug';

/** A project's members, invites and ownership (authenticated /v1 scope). */
export function membersRoutes(app: FastifyInstance, members: MembersService, invites: InvitesService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  r.get(`${BASE}/members`, { schema: { security, params: projectParamsSchema, response: { 200: membersResponseSchema } } }, (req) =>
    members.list(caller(req), req.params.slug),
  );
  r.post(
    `${BASE}/invites`,
    { schema: { security, params: projectParamsSchema, body: createInviteRequestSchema, response: { 201: createInviteResponseSchema } } },
    async (req, reply) => reply.code(201).send(await invites.create(caller(req), req.params.slug, req.body)),
  );
  r.get(`${BASE}/invites`, { schema: { security, params: projectParamsSchema, response: { 200: invitesResponseSchema } } }, (req) =>
    invites.list(caller(req), req.params.slug),
  );
  r.delete(`${BASE}/invites/:id`, { schema: { security, params: inviteParamsSchema } }, async (req, reply) => {
    await invites.revoke(caller(req), req.params.slug, req.params.id);
    return reply.code(204).send();
  });
  r.post(
    '/invites/accept',
    { schema: { security, body: acceptInviteRequestSchema, response: { 200: acceptInviteResponseSchema } } },
    (req) => invites.accept(caller(req), req.body),
  );
  r.delete(`${BASE}/members/:email`, { schema: { security, params: memberParamsSchema } }, async (req, reply) => {
    await members.remove(caller(req), req.params.slug, req.params.email);
    return reply.code(204).send();
  });
  r.patch(
    `${BASE}/members/:email`,
    { schema: { security, params: memberParamsSchema, body: setRoleRequestSchema, response: { 200: memberResponseSchema } } },
    (req) => members.setRole(caller(req), req.params.slug, req.params.email, req.body.role),
  );
  r.post(
    `${BASE}/transfer-ownership`,
    { schema: { security, params: projectParamsSchema, body: transferOwnershipRequestSchema, response: { 200: transferOwnershipResponseSchema } } },
    (req) => members.transferOwnership(caller(req), req.params.slug, req.body.email),
  );
}

/** POST /v1/invites/redeem: registered outside the authenticated scope (the code is the credential). */
export function inviteRedeemRoutes(app: FastifyInstance, invites: InvitesService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/invites/redeem',
    { schema: { body: redeemInviteRequestSchema, response: { 201: redeemInviteResponseSchema } } },
    async (req, reply) => reply.code(201).send(await invites.redeem(clientInfo(req), req.body)),
  );
}
