import type { Environment, Role } from '../../contract/index.js';
import { findKeyAccess } from '../store/api-keys-store.js';
import { findSessionAccess } from '../store/sessions-store.js';
import { decide } from './policy.js';
import { ServiceError } from './service-error.js';
import type { AuthContext, ServiceDeps } from './service-deps.js';

// The credentials behind open change streams. A stream was authorized once, when it opened; this
// keeps it honest for as long as it stays open: it ends when its key (or browser session) is
// revoked through this server (at once), when it expires (on the dot; a session's idle expiry at
// the periodic check), and when a periodic check finds it revoked elsewhere (another replica) or
// its user no longer allowed to read the environment. Streams per credential are capped. The
// counts are this server's own connections, not shared state.

export interface StreamAccessOptions {
  /** Open change streams allowed per API key on this server (default 20); one more is a 429. */
  maxStreamsPerKey?: number;
  /**
   * How often every open stream's key and membership are checked again, in one query (default
   * 30 s): how long a stream outlives a key revoked through another replica, or a member removed
   * or demoted to viewer.
   */
  recheckMs?: number;
}

export const DEFAULT_MAX_STREAMS_PER_KEY = 20;
export const DEFAULT_STREAM_RECHECK_MS = 30_000;
// setTimeout's longest delay (about 24.8 days); a later expiry is caught by the periodic check.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One stream's claim on its key, from before authorization until the stream closes. */
export interface StreamGrant {
  /** After authorization: the grant is checked from now on, for this project and environment. */
  start(projectId: string, environment: Environment): void;
  /** Resolves when the stream must end: its key or access is gone. */
  readonly revoked: Promise<void>;
  /** The stream closed (idempotent); frees its slot. */
  release(): void;
}

/** A credential's state and its user's role in one project, as the periodic check reads them. */
interface AccessRow {
  revoked_at: string | null;
  /** Ends of the credential (an API key's expiry; a session's absolute and idle expiries); null: none. */
  ends: (string | null)[];
  project_id: string | null;
  role: string | null;
}

interface Entry {
  auth: AuthContext;
  /** `key:<id>` or `session:<id>`: what the slots are counted and revoked by. */
  credential: string;
  target?: { projectId: string; environment: Environment };
  expiry?: NodeJS.Timeout;
  revoke(): void;
}

const credentialOf = (auth: AuthContext): string => (auth.session ? `session:${auth.session.id}` : `key:${auth.keyId ?? ''}`);

/**
 * Creates the registry of open streams' grants. `onError` hears a failed periodic check, after
 * which the streams it could not confirm are ended (their clients reconnect and are authorized again).
 */
export function createStreamAccess(deps: ServiceDeps, opts: StreamAccessOptions = {}, onError: (err: unknown) => void = () => undefined) {
  const maxPerKey = opts.maxStreamsPerKey ?? DEFAULT_MAX_STREAMS_PER_KEY;
  const recheckMs = opts.recheckMs ?? DEFAULT_STREAM_RECHECK_MS;
  const byKey = new Map<string, Set<Entry>>();
  let watched = 0; // started entries: the periodic check runs while there are any
  let ticker: NodeJS.Timeout | undefined;
  let checking = false;

  const started = (): Entry[] => [...byKey.values()].flatMap((set) => [...set]).filter((e) => e.target !== undefined);

  function drop(entry: Entry): void {
    const set = byKey.get(entry.credential);
    if (!set?.delete(entry)) return;
    clearTimeout(entry.expiry);
    if (set.size === 0) byKey.delete(entry.credential);
    if (entry.target && --watched === 0) {
      clearInterval(ticker);
      ticker = undefined;
    }
  }
  function end(entry: Entry): void {
    drop(entry);
    entry.revoke();
  }

  function allowed(entry: Entry, rowsOfKey: AccessRow[] | undefined, now: number): boolean {
    const target = entry.target!;
    const key = rowsOfKey?.[0];
    if (!key || key.revoked_at !== null) return false;
    if (key.ends.some((end) => end !== null && Date.parse(end) <= now)) return false;
    const membership = rowsOfKey.find((r) => r.project_id === target.projectId);
    if (!membership?.role) return false;
    const subject = { role: membership.role as Role, service: entry.auth.service, session: entry.auth.session !== null };
    return decide(subject, 'read', { projectId: target.projectId, environment: target.environment }).allowed;
  }

  async function recheck(): Promise<void> {
    if (checking) return;
    checking = true;
    const entries = started();
    try {
      const byCredential = new Map<string, AccessRow[]>();
      const add = (credential: string, row: AccessRow) => {
        const rows = byCredential.get(credential);
        if (rows) rows.push(row);
        else byCredential.set(credential, [row]);
      };
      const keyPairs = entries.flatMap((e) => (e.auth.keyId !== null ? [{ keyId: e.auth.keyId, projectId: e.target!.projectId }] : [])).sort((a, b) => a.keyId.localeCompare(b.keyId));
      for (const row of await findKeyAccess(deps.db, keyPairs)) add(`key:${row.key_id}`, { ...row, ends: [row.expires_at] });
      const sessionPairs = entries.flatMap((e) => (e.auth.session ? [{ sessionId: e.auth.session.id, projectId: e.target!.projectId }] : [])).sort((a, b) => a.sessionId.localeCompare(b.sessionId));
      if (sessionPairs.length > 0) {
        for (const row of await findSessionAccess(deps.db, sessionPairs)) add(`session:${row.session_id}`, { ...row, ends: [row.expires_at, row.idle_expires_at] });
      }
      const now = deps.now().getTime();
      for (const entry of entries) if (!allowed(entry, byCredential.get(entry.credential), now)) end(entry);
    } catch (err) {
      // Fail closed: a stream whose credential cannot be confirmed ends; its client reconnects.
      onError(err);
      for (const entry of entries) end(entry);
    } finally {
      checking = false;
    }
  }

  return {
    /** Claims a stream slot for the caller's key; 429 when the key already has maxStreamsPerKey open. */
    reserve(auth: AuthContext): StreamGrant {
      const credential = credentialOf(auth);
      const set = byKey.get(credential) ?? new Set<Entry>();
      if (set.size >= maxPerKey) {
        throw new ServiceError(
          'rate_limited',
          `too many open change streams for this ${auth.session ? 'browser session' : 'API key'} (at most ${maxPerKey}); close one before opening another`,
        );
      }
      byKey.set(credential, set);
      let revoke!: () => void;
      const revoked = new Promise<void>((resolve) => (revoke = resolve));
      const entry: Entry = { auth, credential, revoke };
      set.add(entry);
      return {
        revoked,
        start(projectId, environment) {
          if (!set.has(entry) || entry.target) return; // revoked while being authorized: `revoked` has resolved
          entry.target = { projectId, environment };
          watched += 1;
          if (auth.keyExpiresAt !== null) {
            const delay = Date.parse(auth.keyExpiresAt) - deps.now().getTime();
            if (delay <= MAX_TIMER_MS) entry.expiry = setTimeout(() => end(entry), Math.max(0, delay));
          }
          if (!ticker) {
            ticker = setInterval(() => void recheck(), recheckMs);
            ticker.unref();
          }
        },
        release: () => drop(entry),
      };
    },
    /** Ends every stream opened with this key (it was just revoked through this server). */
    keyRevoked(keyId: string): void {
      for (const entry of [...(byKey.get(`key:${keyId}`) ?? [])]) end(entry);
    },
    /** Ends every stream opened by this browser session (it was just revoked through this server). */
    sessionRevoked(sessionId: string): void {
      for (const entry of [...(byKey.get(`session:${sessionId}`) ?? [])]) end(entry);
    },
    /** Stops the periodic check (the server is closing; its streams are ended there). */
    close(): void {
      clearInterval(ticker);
      ticker = undefined;
      for (const entry of started()) clearTimeout(entry.expiry);
    },
  };
}
export type StreamAccess = ReturnType<typeof createStreamAccess>;
