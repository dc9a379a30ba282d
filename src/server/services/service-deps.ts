import type { Kysely } from 'kysely';
import type { AUDIT_ACTIONS, Environment } from '../../contract/index.js';
import type { DerivedKeys } from '../crypto/value-crypto.js';
import type { ServiceMetrics } from '../metrics.js';
import type { ChangePublisher } from './change-feed.js';
import type { DecryptedEnvironments } from './decrypted-environments.js';
import type { KeptReads } from './kept-reads.js';
import type { Outbox } from './outbox-service.js';
import type { EnvironmentAccess } from '../store/projects-store.js';
import type { DB, Dialect, Executor } from '../store/schema.js';

/** What every service factory receives. */
export interface ServiceDeps {
  db: Kysely<DB>;
  dialect: Dialect;
  keys: DerivedKeys;
  now: () => Date;
  audit: AuditRecorder;
  /** Announces committed revision changes to the change stream. */
  changes: ChangePublisher;
  /** Decrypted environments shared between reads, per (environment, revision). */
  decrypted: DecryptedEnvironments;
  /** Reads of rarely changing rows (key holder, membership, environment row) kept until the store changes. */
  kept: KeptReads;
  /** The operator's log, for what a request cannot report itself (a damaged row skipped in a read). Names only. */
  log: { error(details: Record<string, unknown>, message: string): void };
  /** Prometheus metrics to feed (audit group commits, decrypt cache); a no-op when metrics are off. */
  metrics: ServiceMetrics;
  /** Emails and webhook deliveries, stored in the transaction of the event that causes them. */
  outbox: Outbox;
}

/** Where a request came from, as the audit log records it. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
  /** The CLI command name sent in the x-krypt-command header. */
  command: string | null;
}

/** The authenticated caller, attached to each /v1 request by the auth plugin. */
export interface AuthContext {
  user: { id: string; email: string; name: string };
  /** The API key used; null for a browser session (then `session` is set). */
  keyId: string | null;
  /** When the credential stops working (ISO 8601; a session's absolute expiry), or null if it never expires. */
  keyExpiresAt: string | null;
  /** Set when the caller is a dashboard browser session (cookie), not an API key. */
  session: { id: string } | null;
  /** Set when the key is a read-only service token limited to one project and environment. */
  service: { projectId: string; projectSlug: string; environment: Environment } | null;
  client: ClientInfo;
  /**
   * For a request scoped to one environment (its path names the project and environment): the
   * caller's access there, read in the same query as the key (`undefined` access: not a member).
   */
  prefetched?: { slug: string; env: string; access: EnvironmentAccess | undefined };
}

/** One audit event; key names only, never values. */
export interface AuditEvent {
  action: (typeof AUDIT_ACTIONS)[number];
  /** Who did it; null only for unauthenticated events (e.g. redeeming an invite, where details name the user). */
  actor: { userId: string; email: string; keyId: string | null } | null;
  client: ClientInfo;
  project: { id: string; slug: string } | null;
  environment: Environment | null;
  keys?: string[];
  details?: Record<string, string | number | boolean | null>;
}

/** Appends to the hash-chained audit log. */
export interface AuditRecorder {
  /** For a change: call it with the transaction that performs it, so the entry and the change commit (or roll back) together. */
  record(db: Executor, event: AuditEvent): Promise<void>;
  /**
   * For a read, after its transaction: the entry is committed with those of concurrent requests
   * (group commit). Resolves once it is durable; rejects when it could not be stored, and the
   * request must then fail.
   */
  append(event: AuditEvent): Promise<void>;
}

/** The actor part of an audit event for an authenticated caller. */
export function auditActor(auth: AuthContext): Pick<AuditEvent, 'actor' | 'client'> {
  return { actor: { userId: auth.user.id, email: auth.user.email, keyId: auth.keyId }, client: auth.client };
}
