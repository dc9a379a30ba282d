import type { ColumnType, Kysely } from 'kysely';

// Row types of the Kysely schema. Timestamps are ISO-8601 text in both dialects.

export interface MetaTable {
  key: string;
  value: string;
}
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  created_at: string;
}
export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** Set for a read-only service token: the one project and environment it may read. */
  service_project_id: string | null;
  service_environment: string | null;
}
export interface ProjectsTable {
  id: string;
  slug: string;
  created_at: string;
  created_by: string;
}
export interface EnvironmentsTable {
  id: string;
  project_id: string;
  name: string;
  revision: number;
}
export interface MembershipsTable {
  project_id: string;
  user_id: string;
  role: string;
  created_at: string;
}
export interface SecretsTable {
  environment_id: string;
  key: string;
  version: number;
  value: string;
  tag: string;
  updated_revision: number;
  updated_at: string;
  updated_by: string;
}
export interface SecretVersionsTable {
  environment_id: string;
  key: string;
  version: number;
  value: string | null;
  tag: string | null;
  /** 1 for a tombstone written by a delete. */
  deleted: number;
  revision: number;
  created_at: string;
  created_by: string;
}
/** A one-time invite; only the SHA-256 of its code is kept. */
export interface InvitesTable {
  id: string;
  project_id: string;
  email: string;
  role: string;
  code_hash: string;
  created_at: string;
  created_by: string;
  expires_at: string;
  used_at: string | null;
  used_by: string | null;
}
export interface ChangeRequestsTable {
  id: string;
  project_id: string;
  /** Per-project sequential number shown to users ("change request #3"). */
  number: number;
  environment_id: string;
  status: string;
  requested_by: string;
  created_at: string;
  base_revision: number;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
}
export interface ChangeRequestItemsTable {
  change_request_id: string;
  key: string;
  action: string;
  value: string | null;
  tag: string | null;
}
/** PostgreSQL returns bigint columns as strings; read them through Number(). */
type BigIntColumn = ColumnType<number | string, number, number>;
/** One hash-chained audit entry; keys and details are JSON text. */
export interface AuditLogTable {
  id: BigIntColumn;
  at: string;
  actor_user_id: string | null;
  actor_email: string | null;
  key_id: string | null;
  action: string;
  project_id: string | null;
  project_slug: string | null;
  environment: string | null;
  keys: string;
  details: string;
  ip: string | null;
  user_agent: string | null;
  command: string | null;
  prev_hash: string;
  hash: string;
}
/** The single row (id = 1) holding the chain's last id and hash; appends lock it. */
export interface AuditHeadTable {
  id: number;
  last_id: BigIntColumn;
  last_hash: string;
}

/** A one-time dashboard sign-in link; only the SHA-256 of its code is kept. */
export interface SignInLinksTable {
  id: string;
  user_id: string;
  code_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}
/** A browser session; only the SHA-256 of its cookie token is kept. */
export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: string;
  last_seen_at: string;
  /** Slides forward with use; past it the session no longer works. */
  idle_expires_at: string;
  /** The absolute end, however much the session is used. */
  expires_at: string;
  revoked_at: string | null;
  user_agent: string | null;
  ip: string | null;
}
/** Failed credentials of one client address in one window (PostgreSQL's shared rate-limit counters; unused on SQLite). */
export interface AuthFailuresTable {
  address: string;
  /** The window's start, ms since the epoch. */
  window_start: BigIntColumn;
  count: number;
}

/** A project's webhook endpoint; events is a JSON array, the signing secret is encrypted (value + tag). */
export interface WebhooksTable {
  id: string;
  project_id: string;
  url: string;
  events: string;
  secret: string;
  secret_tag: string;
  created_at: string;
  created_by: string;
}
/** One email or webhook delivery of the transactional outbox; the message is encrypted (payload + tag). */
export interface OutboxTable {
  id: string;
  channel: 'email' | 'webhook';
  topic: string;
  /** The email address, or the webhook's URL. */
  recipient: string;
  project_id: string | null;
  webhook_id: string | null;
  payload: string;
  payload_tag: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  /** The replica holding the delivery, until claimed_until. */
  claimed_by: string | null;
  claimed_until: string | null;
  last_error: string | null;
  /** A webhook endpoint's last HTTP status. */
  response_status: number | null;
  sent_at: string | null;
}

export interface DB {
  meta: MetaTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  memberships: MembershipsTable;
  secrets: SecretsTable;
  secret_versions: SecretVersionsTable;
  invites: InvitesTable;
  change_requests: ChangeRequestsTable;
  change_request_items: ChangeRequestItemsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  sign_in_links: SignInLinksTable;
  sessions: SessionsTable;
  auth_failures: AuthFailuresTable;
  webhooks: WebhooksTable;
  outbox: OutboxTable;
}

/** A database handle or a transaction: every store function takes one of these. */
export type Executor = Kysely<DB>;
export type Dialect = 'sqlite' | 'postgres';
