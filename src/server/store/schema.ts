import type { Kysely } from 'kysely';

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

export interface DB {
  meta: MetaTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  memberships: MembershipsTable;
  secrets: SecretsTable;
  secret_versions: SecretVersionsTable;
}

/** A database handle or a transaction: every store function takes one of these. */
export type Executor = Kysely<DB>;
export type Dialect = 'sqlite' | 'postgres';
