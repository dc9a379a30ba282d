import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Transaction } from 'kysely';
import { MAX_SIGN_IN_LINK_SECONDS, type CreateSignInLinkResponse, type SessionInfo } from '../../contract/index.js';
import { generateSessionToken, generateSignInCode, hashApiToken, SESSION_TOKEN_PREFIX, SIGN_IN_CODE_PREFIX } from '../crypto/api-token.js';
import type { DB, Executor } from '../store/schema.js';
import {
  consumeSignInLink,
  deleteEndedSessions,
  deleteStaleSignInLinks,
  findSession,
  findSessionByTokenHash,
  insertSession,
  insertSignInLink,
  listOpenSessions,
  revokeSession,
  touchSession,
  type SessionRow,
} from '../store/sessions-store.js';
import type { UserRow } from '../store/users-store.js';
import { requirePersonalKey } from './policy.js';
import { ServiceError } from './service-error.js';
import type { AuthContext, ClientInfo, ServiceDeps } from './service-deps.js';

// Dashboard sign-in. `krypt open` asks, with a personal API key, for a one-time sign-in link; the
// page swaps its code for a session: a random cookie token (stored hashed) with an idle expiry
// that slides with use and an absolute one, and a CSRF token derived from the session id under a
// key derived from the master key (nothing more to store, and useless without the cookie).

export interface SessionOptions {
  /** How long a sign-in link works (seconds; default and most 120). */
  signInLinkSeconds?: number;
  /** A session unused this long ends (seconds; default 30 minutes). */
  idleSeconds?: number;
  /** A session ends this long after sign-in, however much it is used (seconds; default 12 hours). */
  absoluteSeconds?: number;
}

export const DEFAULT_SESSION_OPTIONS: Required<SessionOptions> = {
  signInLinkSeconds: MAX_SIGN_IN_LINK_SECONDS,
  idleSeconds: 30 * 60,
  absoluteSeconds: 12 * 3600,
};

const INVALID_CODE = 'sign-in link is invalid, used or expired: run `krypt open` for a new one';
const INVALID_SESSION = 'browser session is invalid or expired: run `krypt open` to sign in again';
// Writes the sliding expiry at most this often per session, not on every request.
const TOUCH_INTERVAL_MS = 60_000;

/** A new session's cookie token (for Set-Cookie only), its description and CSRF token. */
export interface StartedSession {
  token: string;
  session: SessionInfo;
  csrfToken: string;
  /** Seconds until the absolute expiry (the cookie's Max-Age). */
  maxAgeSeconds: number;
}

/** A request's session, resolved from its cookie. */
export interface SessionAuth {
  auth: AuthContext;
  row: SessionRow;
}

const toInfo = (row: SessionRow, currentId: string | null): SessionInfo => ({
  id: row.id,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  idleExpiresAt: row.idle_expires_at,
  expiresAt: row.expires_at,
  userAgent: row.user_agent,
  ip: row.ip,
  current: row.id === currentId,
});

/** Told about a session revoked through this server, once the revocation has committed. */
export interface SessionRevocationListener {
  sessionRevoked(sessionId: string): void;
}

/** Creates the service for sign-in links and browser sessions; `revocations` hears each revocation (its change streams end). */
export function createSessionsService(
  deps: ServiceDeps,
  options: SessionOptions = {},
  revocations: SessionRevocationListener = { sessionRevoked: () => undefined },
) {
  const opts = { ...DEFAULT_SESSION_OPTIONS, ...options };
  if (opts.signInLinkSeconds > MAX_SIGN_IN_LINK_SECONDS) throw new Error(`sign-in links may live at most ${MAX_SIGN_IN_LINK_SECONDS} s`);
  const transaction = <T>(fn: (trx: Transaction<DB>) => Promise<T>) => deps.db.transaction().execute(fn);
  const later = (from: Date, seconds: number) => new Date(from.getTime() + seconds * 1000).toISOString();

  /** The CSRF token of a session: HMAC-SHA256 of its id, base64url. */
  const csrfTokenOf = (sessionId: string) => createHmac('sha256', deps.keys.csrfKey).update(`krypt-csrf-v1\0${sessionId}`, 'utf8').digest('base64url');

  function open(row: SessionRow, now: Date): boolean {
    const t = now.getTime();
    return row.revoked_at === null && Date.parse(row.expires_at) > t && Date.parse(row.idle_expires_at) > t;
  }

  function requireSession(auth: AuthContext): string {
    if (!auth.session) throw new ServiceError('not_found', 'not a browser session: this request is signed in with an API key (sessions are for the dashboard)');
    return auth.session.id;
  }

  /** Starts a session for `user` in `trx` and records the sign-in. */
  async function start(trx: Executor, user: Pick<UserRow, 'id' | 'email'>, client: ClientInfo, via: 'sign-in-link' | 'invite'): Promise<StartedSession> {
    const now = deps.now();
    const { token, hash } = generateSessionToken();
    const row: SessionRow = {
      id: randomUUID(),
      user_id: user.id,
      token_hash: hash,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      idle_expires_at: later(now, Math.min(opts.idleSeconds, opts.absoluteSeconds)),
      expires_at: later(now, opts.absoluteSeconds),
      revoked_at: null,
      user_agent: client.userAgent,
      ip: client.ip,
    };
    // Ended sessions are kept a day (visible to the stream check and to a look at the table), then forgotten.
    await deleteEndedSessions(trx, user.id, later(now, -24 * 3600));
    await insertSession(trx, row);
    await deps.audit.record(trx, {
      actor: { userId: user.id, email: user.email, keyId: null },
      client,
      action: 'session.sign_in',
      project: null,
      environment: null,
      details: { sessionId: row.id, userAgent: client.userAgent, via },
    });
    return { token, session: toInfo(row, row.id), csrfToken: csrfTokenOf(row.id), maxAgeSeconds: opts.absoluteSeconds };
  }

  return {
    start,

    /** A one-time link to the dashboard at `origin` (personal API keys only; not from a session). */
    async createSignInLink(auth: AuthContext, origin: string, path: string | undefined): Promise<CreateSignInLinkResponse> {
      requirePersonalKey(auth.service);
      if (auth.session) throw new ServiceError('forbidden', 'sign-in links are made with a personal API key (`krypt open`), not from a browser session');
      const now = deps.now();
      const { code, hash } = generateSignInCode();
      const expiresAt = later(now, opts.signInLinkSeconds);
      await transaction(async (trx) => {
        await deleteStaleSignInLinks(trx, auth.user.id, now.toISOString());
        await insertSignInLink(trx, { id: randomUUID(), user_id: auth.user.id, code_hash: hash, created_at: now.toISOString(), expires_at: expiresAt, used_at: null });
      });
      // The code travels in the fragment: browsers never send it to a server or put it in a Referer.
      const fragment = new URLSearchParams({ code, next: path ?? '/' });
      return { url: `${origin}/sign-in#${fragment.toString()}`, expiresAt };
    },

    /** Swaps a sign-in code for a session; a wrong, used or expired code is a 401. */
    async createSession(client: ClientInfo, code: string): Promise<StartedSession> {
      return transaction(async (trx) => {
        const user = code.startsWith(SIGN_IN_CODE_PREFIX) ? await consumeSignInLink(trx, hashApiToken(code), deps.now().toISOString()) : undefined;
        if (!user) throw new ServiceError('unauthorized', INVALID_CODE);
        return start(trx, user, client, 'sign-in-link');
      });
    },

    /** Resolves a session cookie's token to the caller; every failure is the same 401. Does not slide the expiry (see touch). */
    async authenticate(token: string, client: ClientInfo): Promise<SessionAuth> {
      if (!token.startsWith(SESSION_TOKEN_PREFIX)) throw new ServiceError('unauthorized', INVALID_SESSION);
      const found = await findSessionByTokenHash(deps.db, hashApiToken(token));
      if (!found || !open(found.session, deps.now())) throw new ServiceError('unauthorized', INVALID_SESSION);
      const { id, email, name } = found.user;
      const auth: AuthContext = {
        user: { id, email, name },
        keyId: null,
        keyExpiresAt: found.session.expires_at,
        session: { id: found.session.id },
        service: null,
        client,
      };
      return { auth, row: found.session };
    },

    /** Whether `given` is the session's CSRF token (constant time). */
    csrfMatches(sessionId: string, given: string | null): boolean {
      const expected = Buffer.from(csrfTokenOf(sessionId), 'utf8');
      const actual = Buffer.from(given ?? '', 'utf8');
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },

    /** Slides the idle expiry of a session that was just used (never past its absolute expiry). */
    async touch(row: SessionRow): Promise<void> {
      const now = deps.now();
      if (now.getTime() - Date.parse(row.last_seen_at) < TOUCH_INTERVAL_MS) return;
      const idle = Math.min(now.getTime() + opts.idleSeconds * 1000, Date.parse(row.expires_at));
      await touchSession(deps.db, row.id, now.toISOString(), new Date(idle).toISOString());
    },

    /** The browser session making the request, its user and CSRF token (404 for an API key). */
    async current(auth: AuthContext) {
      const id = requireSession(auth);
      const row = await findSession(deps.db, auth.user.id, id);
      if (!row) throw new ServiceError('unauthorized', INVALID_SESSION);
      return { session: toInfo(row, id), user: { id: auth.user.id, email: auth.user.email }, csrfToken: csrfTokenOf(id) };
    },

    /** The caller's open sessions, newest first, the current one marked. */
    async list(auth: AuthContext): Promise<{ sessions: SessionInfo[] }> {
      requirePersonalKey(auth.service);
      const rows = await listOpenSessions(deps.db, auth.user.id, deps.now().toISOString());
      return { sessions: rows.map((r) => toInfo(r, auth.session?.id ?? null)) };
    },

    /** Ends one of the caller's sessions (`current`: sign out) at once; says whether it was the one in use. */
    async revoke(auth: AuthContext, id: string): Promise<{ current: boolean }> {
      requirePersonalKey(auth.service);
      const target = id === 'current' ? requireSession(auth) : id;
      const current = target === auth.session?.id;
      const revoked = await transaction(async (trx) => {
        const row = await findSession(trx, auth.user.id, target);
        if (!row) throw new ServiceError('not_found', `session "${id}" not found`);
        if (!(await revokeSession(trx, row.id, deps.now().toISOString()))) return row.id;
        await deps.audit.record(trx, {
          actor: { userId: auth.user.id, email: auth.user.email, keyId: auth.keyId },
          client: auth.client,
          action: current ? 'session.sign_out' : 'session.revoke',
          project: null,
          environment: null,
          details: { sessionId: row.id },
        });
        return row.id;
      });
      revocations.sessionRevoked(revoked);
      return { current };
    },
  };
}
export type SessionsService = ReturnType<typeof createSessionsService>;
