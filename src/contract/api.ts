import { z } from 'zod';
import {
  environmentSchema,
  MAX_KEYS_PER_WRITE,
  ROLES,
  secretKeySchema,
  secretValueSchema,
  slugSchema,
} from './names.js';
import { changeRequestSchema, serviceScopeSchema } from './teams.js';

// Every request and response body of /v1. The server validates with these; the CLI's client parses with them.

const isoTime = z.string();

export const userSchema = z.object({ id: z.string(), email: z.string(), name: z.string() });
export const apiKeyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: isoTime,
  expiresAt: isoTime.nullable(),
  lastUsedAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
  /** Set for a read-only service token limited to one project and environment. */
  service: serviceScopeSchema.nullable(),
});
export type ApiKeyInfo = z.infer<typeof apiKeyInfoSchema>;

/** GET /v1/me */
export const meResponseSchema = z.object({ user: userSchema, key: apiKeyInfoSchema });
export type MeResponse = z.infer<typeof meResponseSchema>;

export const projectSchema = z.object({
  slug: z.string(),
  role: z.enum(ROLES),
  createdAt: isoTime,
});
export type Project = z.infer<typeof projectSchema>;

/** GET /v1/projects */
export const projectListResponseSchema = z.object({ projects: z.array(projectSchema) });
/** POST /v1/projects */
export const createProjectRequestSchema = z.object({ slug: slugSchema }).strict();
export const projectResponseSchema = z.object({ project: projectSchema });

/** Path parameters of environment-scoped routes. */
export const projectParamsSchema = z.object({ slug: slugSchema });
export const environmentParamsSchema = z.object({ slug: slugSchema, env: environmentSchema });
export const secretParamsSchema = z.object({ slug: slugSchema, env: environmentSchema, key: secretKeySchema });

/** GET /v1/projects/:slug/environments/:env/secrets — the bulk read, with values (audited). */
export const secretsResponseSchema = z.object({
  project: z.string(),
  environment: environmentSchema,
  revision: z.number().int().nonnegative(),
  secrets: z.record(z.string(), z.string()),
  /** Keys whose stored value failed its integrity check: left out of `secrets` (replace or delete them to repair). */
  damaged: z.array(z.string()).optional(),
});
export type SecretsResponse = z.infer<typeof secretsResponseSchema>;
/** The bulk read's 304 (If-None-Match named the current revision): no body. */
export const notModifiedSchema = z.null().describe('Not modified: the client already holds this revision');

export const secretMetaSchema = z.object({
  key: z.string(),
  version: z.number().int().positive(),
  updatedAt: isoTime,
  updatedBy: z.string(),
});
export type SecretMeta = z.infer<typeof secretMetaSchema>;

/** GET /v1/projects/:slug/environments/:env/keys — names and metadata only, never values. */
export const keysResponseSchema = z.object({
  project: z.string(),
  environment: environmentSchema,
  revision: z.number().int().nonnegative(),
  keys: z.array(secretMetaSchema),
});
export type KeysResponse = z.infer<typeof keysResponseSchema>;

/** One environment's side of a comparison: null where the key is missing. */
const compareCellSchema = z
  .object({
    version: z.number().int().positive(),
    updatedAt: isoTime,
    updatedBy: z.string(),
    /** Environments with the same group hold the same value (0, 1, 2 in environment order); null: damaged row. */
    group: z.number().int().nonnegative().nullable(),
  })
  .nullable();
export const compareEntrySchema = z.object({
  key: z.string(),
  /** missing: absent from one environment or more; different: present everywhere, not one value; same: one value. */
  status: z.enum(['same', 'different', 'missing']),
  development: compareCellSchema,
  staging: compareCellSchema,
  production: compareCellSchema,
});
export type CompareEntry = z.infer<typeof compareEntrySchema>;
/** GET /v1/projects/:slug/compare — which keys differ or are missing across the environments; never a value (audited). */
export const compareResponseSchema = z.object({
  project: z.string(),
  revisions: z.object({ development: z.number().int().nonnegative(), staging: z.number().int().nonnegative(), production: z.number().int().nonnegative() }),
  keys: z.array(compareEntrySchema),
});
export type CompareResponse = z.infer<typeof compareResponseSchema>;

/** GET /v1/projects/:slug/environments/:env/secrets/:key — one value (audited). */
export const secretResponseSchema = secretMetaSchema.extend({ value: z.string() });

/**
 * PATCH /v1/projects/:slug/environments/:env/secrets — a bulk write of only the keys it changes.
 * With baseRevision, a key changed (or deleted) after that revision is a 409 conflict naming it;
 * without it, the write is unconditional (`krypt set`).
 */
export const writeSecretsRequestSchema = z
  .object({
    baseRevision: z.number().int().nonnegative().optional(),
    set: z.record(secretKeySchema, secretValueSchema).default({}),
    delete: z.array(secretKeySchema).default([]),
  })
  .strict()
  .refine((b) => Object.keys(b.set).length + b.delete.length <= MAX_KEYS_PER_WRITE, {
    message: `at most ${MAX_KEYS_PER_WRITE} keys per write: send the rest in another write`,
  })
  // Own properties only: `toString in {}` is true (inherited), and toString is a valid key name.
  .refine((b) => b.delete.every((k) => !Object.hasOwn(b.set, k)), { message: 'a key cannot be both set and deleted' });
export type WriteSecretsRequest = z.input<typeof writeSecretsRequestSchema>;

export const appliedWriteSchema = z.object({
  revision: z.number().int().nonnegative(),
  /** Keys whose value actually changed (setting an identical value is a no-op). */
  changed: z.array(z.string()),
  deleted: z.array(z.string()),
});
/** A Member's write to production applies nothing: the server answers 202 with a pending change request. */
export const pendingWriteSchema = z.object({ changeRequest: changeRequestSchema });
export const writeSecretsResponseSchema = z.union([appliedWriteSchema, pendingWriteSchema]);
export type WriteSecretsResponse = z.infer<typeof writeSecretsResponseSchema>;

/** GET /v1/keys */
export const apiKeyListResponseSchema = z.object({ keys: z.array(apiKeyInfoSchema) });
/** POST /v1/keys */
export const createApiKeyRequestSchema = z
  .object({
    name: z.string().min(1).max(100),
    expiresInSeconds: z.number().int().positive().max(10 * 365 * 24 * 3600).optional(),
    /** Makes a read-only service token for one project and environment. */
    service: serviceScopeSchema.optional(),
  })
  .strict();
/** The token appears in this response only; the server keeps its SHA-256. */
export const createApiKeyResponseSchema = z.object({ key: apiKeyInfoSchema, token: z.string() });
export const apiKeyParamsSchema = z.object({ id: z.string().min(1).max(100) });

/** GET /healthz */
export const healthResponseSchema = z.object({ status: z.literal('ok') });

/** Header the CLI sends naming the command, recorded in the audit log. */
export { CLI_COMMAND_HEADER } from './constants.js';

/**
 * GET /v1/projects/:slug/environments/:env/events: a Server-Sent Events stream (text/event-stream).
 * `event: revision` (REVISION_EVENT) with this data is sent on connect and after every change of the
 * environment's revision; a `: ping` comment every EVENTS_HEARTBEAT_MS keeps it alive.
 */
export const revisionEventSchema = z.object({ revision: z.number().int().nonnegative() });
export type RevisionEvent = z.infer<typeof revisionEventSchema>;
export { EVENTS_HEARTBEAT_MS, REVISION_EVENT } from './constants.js';
