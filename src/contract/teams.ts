import { z } from 'zod';
import { ASSIGNABLE_ROLES, AUDIT_ACTIONS, CHANGE_REQUEST_STATUSES } from './constants.js';

export { ASSIGNABLE_ROLES, CHANGE_REQUEST_STATUSES };
import { environmentSchema, MAX_EMAIL_LENGTH, ROLES, secretKeySchema, slugSchema } from './names.js';

// Teams and governance (members, invites, change requests, service tokens, audit, history):
// request and response bodies shared by the server and the CLI's client.

const isoTime = z.string();

export const emailSchema = z
  .string()
  .max(MAX_EMAIL_LENGTH)
  .transform((e) => e.trim().toLowerCase())
  .pipe(z.email('not a valid email address'));

export const assignableRoleSchema = z.enum(ASSIGNABLE_ROLES);

export const memberSchema = z.object({ email: z.string(), name: z.string(), role: z.enum(ROLES), addedAt: isoTime });
export type Member = z.infer<typeof memberSchema>;
export const inviteSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: assignableRoleSchema,
  createdAt: isoTime,
  expiresAt: isoTime,
  invitedBy: z.string(),
});
export type Invite = z.infer<typeof inviteSchema>;

/** GET /v1/projects/:slug/members — members and pending invites. */
export const membersResponseSchema = z.object({ members: z.array(memberSchema), invites: z.array(inviteSchema) });
/** POST /v1/projects/:slug/invites */
export const createInviteRequestSchema = z
  .object({
    email: emailSchema,
    role: assignableRoleSchema,
    expiresInSeconds: z.number().int().positive().max(30 * 24 * 3600).optional(),
  })
  .strict();
/** The code appears in this response only; the server keeps its SHA-256. */
export const createInviteResponseSchema = z.object({
  invite: inviteSchema,
  code: z.string(),
  /** The dashboard's page for accepting it (the code in the fragment, never sent to a server by a browser). */
  url: z.string(),
});
/** Path of member routes; the email is URL-encoded. */
export const memberParamsSchema = z.object({ slug: slugSchema, email: emailSchema });
/** PATCH /v1/projects/:slug/members/:email */
export const setRoleRequestSchema = z.object({ role: assignableRoleSchema }).strict();
export const memberResponseSchema = z.object({ member: memberSchema });
/** POST /v1/projects/:slug/transfer-ownership */
export const transferOwnershipRequestSchema = z.object({ email: emailSchema }).strict();
export const transferOwnershipResponseSchema = z.object({ owner: memberSchema, previousOwner: memberSchema });

/** POST /v1/invites/redeem — unauthenticated: the one-time code is the credential. */
export const redeemInviteRequestSchema = z
  .object({
    code: z.string().min(1).max(200),
    name: z.string().min(1).max(100).optional(),
    /** From the dashboard: sign the new account in to the browser (cookie) instead of issuing an API key. */
    session: z.boolean().optional(),
  })
  .strict();
export const redeemInviteResponseSchema = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
  token: z.string(),
  project: z.string(),
  role: z.enum(ROLES),
});
/**
 * POST /v1/invites/accept — authenticated: an invite for an email that already has an account is
 * accepted by that account, with its own key. No credential is issued.
 */
export const acceptInviteRequestSchema = z.object({ code: z.string().min(1).max(200) }).strict();
export const acceptInviteResponseSchema = z.object({ project: z.string(), role: z.enum(ROLES) });
/** GET /v1/projects/:slug/invites — pending invites (unused, unexpired, issuer still able to invite). */
export const invitesResponseSchema = z.object({ invites: z.array(inviteSchema) });
/** DELETE /v1/projects/:slug/invites/:id */
export const inviteParamsSchema = z.object({ slug: slugSchema, id: z.string().min(1).max(100) });

// --- Change requests ---------------------------------------------------------------------------

export const changeRequestStatusSchema = z.enum(CHANGE_REQUEST_STATUSES);
export const changeRequestSchema = z.object({
  /** Per-project number: "change request #3". */
  id: z.number().int().positive(),
  project: z.string(),
  environment: environmentSchema,
  status: changeRequestStatusSchema,
  requestedBy: z.string(),
  createdAt: isoTime,
  /** The environment revision the request was made against. */
  baseRevision: z.number().int().nonnegative(),
  changes: z.array(z.object({ key: z.string(), action: z.enum(['set', 'delete']) })),
  decidedBy: z.string().nullable(),
  decidedAt: isoTime.nullable(),
  reason: z.string().nullable(),
});
export type ChangeRequest = z.infer<typeof changeRequestSchema>;

/** One line of a change request's diff; values only when revealed to a reader. */
export const changeRequestDiffSchema = z.object({
  key: z.string(),
  change: z.enum(['added', 'changed', 'removed', 'unchanged']),
  current: z.string().nullable().optional(),
  proposed: z.string().nullable().optional(),
});
export const changeRequestParamsSchema = z.object({ slug: slugSchema, id: z.coerce.number().int().positive() });
export const changeRequestListQuerySchema = z.object({ status: changeRequestStatusSchema.optional() }).strict();
export const changeRequestListResponseSchema = z.object({ changeRequests: z.array(changeRequestSchema) });
export const revealQuerySchema = z.object({ reveal: z.stringbool().optional() }).strict();
/** GET .../change-requests/:id — with reveal, `key` limits the values shown (and the audited read) to that one key. */
export const changeRequestShowQuerySchema = z.object({ reveal: z.stringbool().optional(), key: secretKeySchema.optional() }).strict();
/** GET /v1/projects/:slug/change-requests/:id */
export const changeRequestShowResponseSchema = z.object({
  changeRequest: changeRequestSchema,
  diff: z.array(changeRequestDiffSchema),
});
/** POST .../change-requests/:id/approve — a key changed since the request was made is a 409 unless forced. */
export const approveRequestSchema = z.object({ force: z.boolean().default(false) }).strict();
export const rejectRequestSchema = z.object({ reason: z.string().trim().min(1, 'a reason is required').max(1000) }).strict();
export const changeRequestResponseSchema = z.object({
  changeRequest: changeRequestSchema,
  /** The environment revision after an approval applied it. */
  revision: z.number().int().nonnegative().optional(),
});

// --- Audit ---------------------------------------------------------------------------------------

export { AUDIT_ACTIONS };
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export const auditEntrySchema = z.object({
  id: z.number().int().positive(),
  at: isoTime,
  actor: z.string().nullable(),
  keyId: z.string().nullable(),
  action: z.enum(AUDIT_ACTIONS),
  project: z.string().nullable(),
  environment: environmentSchema.nullable(),
  /** Key names touched (never values). */
  keys: z.array(z.string()),
  /** Extra non-secret facts: target email, role, change request id, reason. */
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  command: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export const auditQuerySchema = z
  .object({
    environment: environmentSchema.optional(),
    actor: emailSchema.optional(),
    /** Only this action (e.g. secret.read). */
    action: z.enum(AUDIT_ACTIONS).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    /** Entries before this time. */
    until: z.iso.datetime({ offset: true }).optional(),
    /** Paging: entries older than this id (the `next` of the previous page). */
    before: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().positive().max(1000).default(100),
  })
  .strict();
/** GET /v1/projects/:slug/audit — newest first; `next` is the `before` of the following page, null on the last. */
export const auditResponseSchema = z.object({ entries: z.array(auditEntrySchema), next: z.number().int().positive().nullable() });

// --- History and rollback --------------------------------------------------------------------------

export const secretVersionSchema = z.object({
  version: z.number().int().positive(),
  revision: z.number().int().positive(),
  createdAt: isoTime,
  createdBy: z.string(),
  deleted: z.boolean(),
  value: z.string().optional(),
});
/** GET /v1/projects/:slug/environments/:env/secrets/:key/history — newest first; values only with ?reveal=true. */
export const secretHistoryResponseSchema = z.object({
  project: z.string(),
  environment: environmentSchema,
  key: z.string(),
  versions: z.array(secretVersionSchema),
});
/** POST .../secrets/:key/rollback — writes the old version's value as a new version (or deletes, for a tombstone). */
export const rollbackRequestSchema = z.object({ version: z.number().int().positive() }).strict();

// --- Service tokens --------------------------------------------------------------------------------

/** A read-only token limited to one project and environment (for CI). */
export const serviceScopeSchema = z.object({ project: slugSchema, environment: environmentSchema }).strict();
