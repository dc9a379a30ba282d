import { z } from 'zod';
import { ROLES } from './names.js';
import { userSchema } from './api.js';

// Browser sessions of the dashboard: one-time sign-in links (asked for with an API key, by
// `krypt open`), the session a link is swapped for (an HttpOnly cookie plus a CSRF token the page
// sends back in X-CSRF-Token), and the caller's list of sessions.

const isoTime = z.string();

// The names every side shares live in the zod-free constants (the dashboard imports them there).
export { CSRF_HEADER, MAX_SIGN_IN_LINK_SECONDS, SESSION_COOKIE } from './constants.js';

/** A dashboard path to land on: starts with one `/` (never `//`, which a browser reads as another host). */
export const dashboardPathSchema = z
  .string()
  .max(500)
  .regex(/^\/(?![/\\])[^\s#\\]*$/, 'must be a dashboard path starting with "/" (not "//"), without spaces, "#" or "\\"');

/** POST /v1/sign-in-links */
export const createSignInLinkRequestSchema = z.object({ path: dashboardPathSchema.optional() }).strict();
export const createSignInLinkResponseSchema = z.object({ url: z.string(), expiresAt: isoTime });
export type CreateSignInLinkResponse = z.infer<typeof createSignInLinkResponseSchema>;

export const sessionInfoSchema = z.object({
  id: z.string(),
  createdAt: isoTime,
  lastSeenAt: isoTime,
  /** When the session ends unless used before (it slides with each request). */
  idleExpiresAt: isoTime,
  /** When the session ends however much it is used. */
  expiresAt: isoTime,
  userAgent: z.string().nullable(),
  ip: z.string().nullable(),
  /** The session making this request. */
  current: z.boolean(),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

/** POST /v1/sessions: swaps a sign-in code for a session (the cookie is set on the response). */
export const createSessionRequestSchema = z.object({ code: z.string().min(1).max(200) }).strict();
export const createSessionResponseSchema = z.object({ session: sessionInfoSchema, csrfToken: z.string() });
/** GET /v1/session: the browser session making the request. */
export const currentSessionResponseSchema = z.object({
  session: sessionInfoSchema,
  user: userSchema.pick({ id: true, email: true }),
  csrfToken: z.string(),
});
/** GET /v1/sessions: the caller's open sessions, newest first. */
export const sessionListResponseSchema = z.object({ sessions: z.array(sessionInfoSchema) });
/** DELETE /v1/sessions/:id (`current`: the session in use, i.e. sign out). */
export const sessionParamsSchema = z.object({ id: z.string().min(1).max(100) });

/** POST /v1/invites/redeem with `"session": true`: a new account signed in to the dashboard, no API key. */
export const redeemInviteSessionResponseSchema = z.object({
  user: userSchema,
  project: z.string(),
  role: z.enum(ROLES),
  session: sessionInfoSchema,
  csrfToken: z.string(),
});
export type CurrentSessionResponse = z.infer<typeof currentSessionResponseSchema>;
