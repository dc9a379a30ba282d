import { z } from 'zod';
import {
  apiKeyListResponseSchema,
  apiKeyParamsSchema,
  appliedWriteSchema,
  createApiKeyRequestSchema,
  createApiKeyResponseSchema,
  createProjectRequestSchema,
  environmentParamsSchema,
  healthResponseSchema,
  compareResponseSchema,
  keysResponseSchema,
  meResponseSchema,
  notModifiedSchema,
  pendingWriteSchema,
  projectListResponseSchema,
  projectParamsSchema,
  projectResponseSchema,
  secretParamsSchema,
  secretResponseSchema,
  secretsResponseSchema,
  writeSecretsRequestSchema,
} from './api.js';
import type { BodyKind, PathParam, QueryName, RouteId, RouteStatus } from './routes.js';
import {
  createWebhookRequestSchema,
  createWebhookResponseSchema,
  testWebhookResponseSchema,
  webhookDeliveriesResponseSchema,
  webhookParamsSchema,
  webhooksResponseSchema,
} from './webhooks.js';
import {
  acceptInviteRequestSchema,
  acceptInviteResponseSchema,
  approveRequestSchema,
  auditQuerySchema,
  auditResponseSchema,
  changeRequestListQuerySchema,
  changeRequestListResponseSchema,
  changeRequestParamsSchema,
  changeRequestResponseSchema,
  changeRequestShowResponseSchema,
  createInviteRequestSchema,
  createInviteResponseSchema,
  inviteParamsSchema,
  invitesResponseSchema,
  memberParamsSchema,
  memberResponseSchema,
  membersResponseSchema,
  redeemInviteRequestSchema,
  redeemInviteResponseSchema,
  revealQuerySchema,
  changeRequestShowQuerySchema,
  rejectRequestSchema,
  rollbackRequestSchema,
  secretHistoryResponseSchema,
  setRoleRequestSchema,
  transferOwnershipRequestSchema,
  transferOwnershipResponseSchema,
} from './teams.js';
import {
  createSessionRequestSchema,
  createSessionResponseSchema,
  createSignInLinkRequestSchema,
  createSignInLinkResponseSchema,
  currentSessionResponseSchema,
  redeemInviteSessionResponseSchema,
  sessionListResponseSchema,
  sessionParamsSchema,
} from './sessions.js';

// The zod schemas of every operation of routes.ts, keyed by the same ids: path parameters, query,
// body, and a response schema for each success status (null: no body, or one no schema describes,
// such as the event stream). The server validates and serializes with them; the CLI's client parses
// each response with the schema of the status it received. The shapes themselves live in api.ts
// and teams.ts.

/** The schemas of one operation. */
export interface RouteSchemas {
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  readonly responses: { readonly [status: number]: z.ZodType | null };
}

// 200 when applied; 202 when held as a pending change request.
const writeResponses = { 200: appliedWriteSchema, 202: pendingWriteSchema };

export const ROUTE_SCHEMAS = {
  health: { responses: { 200: healthResponseSchema } },
  openApiDocument: { responses: { 200: null } },

  me: { responses: { 200: meResponseSchema } },
  listApiKeys: { responses: { 200: apiKeyListResponseSchema } },
  createApiKey: { body: createApiKeyRequestSchema, responses: { 201: createApiKeyResponseSchema } },
  revokeApiKey: { params: apiKeyParamsSchema, responses: { 204: null } },

  // No body at all (null or absent) is the same as {}.
  createSignInLink: { body: createSignInLinkRequestSchema.nullish(), responses: { 201: createSignInLinkResponseSchema } },
  createSession: { body: createSessionRequestSchema, responses: { 201: createSessionResponseSchema } },
  currentSession: { responses: { 200: currentSessionResponseSchema } },
  listSessions: { responses: { 200: sessionListResponseSchema } },
  revokeSession: { params: sessionParamsSchema, responses: { 204: null } },

  listProjects: { responses: { 200: projectListResponseSchema } },
  createProject: { body: createProjectRequestSchema, responses: { 201: projectResponseSchema } },
  deleteProject: { params: projectParamsSchema, responses: { 204: null } },

  getSecrets: { params: environmentParamsSchema, responses: { 200: secretsResponseSchema, 304: notModifiedSchema } },
  listKeys: { params: environmentParamsSchema, responses: { 200: keysResponseSchema } },
  compareEnvironments: { params: projectParamsSchema, responses: { 200: compareResponseSchema } },
  getSecret: { params: secretParamsSchema, responses: { 200: secretResponseSchema } },
  writeSecrets: { params: environmentParamsSchema, body: writeSecretsRequestSchema, responses: writeResponses },
  secretHistory: { params: secretParamsSchema, query: revealQuerySchema, responses: { 200: secretHistoryResponseSchema } },
  rollbackSecret: { params: secretParamsSchema, body: rollbackRequestSchema, responses: writeResponses },
  watchEnvironment: { params: environmentParamsSchema, responses: { 200: null } },

  listMembers: { params: projectParamsSchema, responses: { 200: membersResponseSchema } },
  createInvite: { params: projectParamsSchema, body: createInviteRequestSchema, responses: { 201: createInviteResponseSchema } },
  listInvites: { params: projectParamsSchema, responses: { 200: invitesResponseSchema } },
  revokeInvite: { params: inviteParamsSchema, responses: { 204: null } },
  acceptInvite: { body: acceptInviteRequestSchema, responses: { 200: acceptInviteResponseSchema } },
  redeemInvite: { body: redeemInviteRequestSchema, responses: { 201: z.union([redeemInviteResponseSchema, redeemInviteSessionResponseSchema]) } },
  removeMember: { params: memberParamsSchema, responses: { 204: null } },
  setMemberRole: { params: memberParamsSchema, body: setRoleRequestSchema, responses: { 200: memberResponseSchema } },
  transferOwnership: { params: projectParamsSchema, body: transferOwnershipRequestSchema, responses: { 200: transferOwnershipResponseSchema } },

  listWebhooks: { params: projectParamsSchema, responses: { 200: webhooksResponseSchema } },
  createWebhook: { params: projectParamsSchema, body: createWebhookRequestSchema, responses: { 201: createWebhookResponseSchema } },
  deleteWebhook: { params: webhookParamsSchema, responses: { 204: null } },
  testWebhook: { params: webhookParamsSchema, responses: { 202: testWebhookResponseSchema } },
  listWebhookDeliveries: { params: webhookParamsSchema, responses: { 200: webhookDeliveriesResponseSchema } },

  listChangeRequests: { params: projectParamsSchema, query: changeRequestListQuerySchema, responses: { 200: changeRequestListResponseSchema } },
  getChangeRequest: { params: changeRequestParamsSchema, query: changeRequestShowQuerySchema, responses: { 200: changeRequestShowResponseSchema } },
  approveChangeRequest: { params: changeRequestParamsSchema, body: approveRequestSchema, responses: { 200: changeRequestResponseSchema } },
  rejectChangeRequest: { params: changeRequestParamsSchema, body: rejectRequestSchema, responses: { 200: changeRequestResponseSchema } },
  cancelChangeRequest: { params: changeRequestParamsSchema, responses: { 200: changeRequestResponseSchema } },

  listAudit: { params: projectParamsSchema, query: auditQuerySchema, responses: { 200: auditResponseSchema } },
} as const satisfies { readonly [K in RouteId]: RouteSchemas };

export type RouteSchemasOf<K extends RouteId> = (typeof ROUTE_SCHEMAS)[K];

// --- The two halves agree (checked by the compiler) ------------------------------------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type FieldKeys<K extends RouteId, F extends 'params' | 'query'> = RouteSchemasOf<K> extends { [P in F]: infer S extends z.ZodType } ? keyof z.output<S> : never;
type SchemaBodyKind<K extends RouteId> =
  RouteSchemasOf<K> extends { body: infer B extends z.ZodType } ? (undefined extends z.input<B> ? 'optional' : 'required') : 'none';

/** Why the schemas of `K` disagree with its entry in routes.ts, or never. */
type Disagreement<K extends RouteId> =
  | (Same<keyof RouteSchemasOf<K>['responses'], RouteStatus<K>> extends true ? never : `${K}: response statuses`)
  | (Same<FieldKeys<K, 'params'>, PathParam<K>> extends true ? never : `${K}: path parameters`)
  | (Same<FieldKeys<K, 'query'>, QueryName<K>> extends true ? never : `${K}: query parameters`)
  | (Same<SchemaBodyKind<K>, BodyKind<K>> extends true ? never : `${K}: body`);
type Disagreements = { [K in RouteId]: Disagreement<K> }[RouteId];

// Fails to compile, naming each route and what differs, when a schema and the table disagree.
type NoneOf<T extends never> = T;
export type RouteTablesAgree = NoneOf<Disagreements>;
