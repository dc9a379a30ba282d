import type { Role } from '../../contract/index.js';
import type { EnvironmentAccess } from './projects-store.js';
import { sql } from 'kysely';
import { compiledOnce } from './compiled-once.js';
import type { ApiKeysTable, Executor, UsersTable } from './schema.js';

export type ApiKeyRow = ApiKeysTable;
/** A key with the slug of its service project (null for a personal key). */
export type ApiKeyWithScope = ApiKeyRow & { service_project_slug: string | null };

export async function insertApiKey(db: Executor, key: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(key).execute();
}

function keysWithScope(db: Executor) {
  return db
    .selectFrom('api_keys')
    .leftJoin('projects', 'projects.id', 'api_keys.service_project_id')
    .selectAll('api_keys')
    .select('projects.slug as service_project_slug');
}

/** The key with this hash and its user, whatever its state (the caller checks expiry/revocation). */
export async function findApiKeyByHash(
  db: Executor,
  hash: string,
): Promise<{ key: ApiKeyWithScope; user: UsersTable } | undefined> {
  const row = await keysWithScope(db)
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .select(['users.email as user_email', 'users.name as user_name', 'users.created_at as user_created_at'])
    .where('api_keys.hash', '=', hash)
    .executeTakeFirst();
  if (!row) return undefined;
  const { user_email, user_name, user_created_at, ...key } = row;
  return { key, user: { id: key.user_id, email: user_email, name: user_name, created_at: user_created_at } };
}

const keyWithAccess = compiledOnce((db: Executor, hash: string, slug: string, env: string) =>
  keysWithScope(db)
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .leftJoin('projects as ap', (join) => join.on('ap.slug', '=', slug))
    .leftJoin('memberships as am', (join) => join.onRef('am.project_id', '=', 'ap.id').onRef('am.user_id', '=', 'api_keys.user_id'))
    .leftJoin('environments as ae', (join) => join.onRef('ae.project_id', '=', 'ap.id').on('ae.name', '=', env))
    .select(['users.email as user_email', 'users.name as user_name', 'users.created_at as user_created_at'])
    .select(['ap.id as ap_id', 'ap.slug as ap_slug', 'ap.created_at as ap_created_at', 'ap.created_by as ap_created_by', 'am.role as am_role'])
    .select(['ae.id as ae_id', 'ae.revision as ae_revision'])
    .where('api_keys.hash', '=', hash),
);

/** A key, its holder, and the holder's access to one project's environment (undefined: not a member). */
export interface KeyWithAccess {
  key: ApiKeyWithScope;
  user: UsersTable;
  access: EnvironmentAccess | undefined;
}

type KeyWithAccessRow = Awaited<ReturnType<typeof keyWithAccess>>[number];

function toKeyWithAccess(row: KeyWithAccessRow, env: string): KeyWithAccess {
  const { user_email, user_name, user_created_at, ap_id, ap_slug, ap_created_at, ap_created_by, am_role, ae_id, ae_revision, ...key } = row;
  const user = { id: key.user_id, email: user_email, name: user_name, created_at: user_created_at };
  if (ap_id === null || ap_slug === null || ap_created_at === null || ap_created_by === null || am_role === null) return { key, user, access: undefined };
  const environment = ae_id === null || ae_revision === null ? null : { id: ae_id, project_id: ap_id, name: env, revision: ae_revision };
  return { key, user, access: { project: { id: ap_id, slug: ap_slug, created_at: ap_created_at, created_by: ap_created_by }, role: am_role as Role, environment } };
}

/**
 * findApiKeyByHash and, in the same query, its holder's access to project `slug` and that
 * project's environment `env` (what findEnvironmentAccess answers): one round trip for a request
 * scoped to one environment instead of two.
 */
export async function findApiKeyWithAccess(db: Executor, hash: string, slug: string, env: string): Promise<KeyWithAccess | undefined> {
  const [row] = await keyWithAccess(db, hash, slug, env);
  return row ? toKeyWithAccess(row, env) : undefined;
}

/** One lookup of findApiKeysWithAccess. */
export interface KeyAccessLookup {
  hash: string;
  slug: string;
  env: string;
}

/**
 * findApiKeyWithAccess for many lookups in one query, answered in the order asked (PostgreSQL
 * only: the lookups travel as three arrays). The lookups of concurrent requests then cost one
 * round trip between them instead of one each (auth-service batches them per loop turn).
 */
export async function findApiKeysWithAccess(db: Executor, lookups: readonly KeyAccessLookup[]): Promise<(KeyWithAccess | undefined)[]> {
  const { rows } = await sql<KeyWithAccessRow & { n: string }>`
    SELECT r.n, api_keys.*, projects.slug AS service_project_slug,
      users.email AS user_email, users.name AS user_name, users.created_at AS user_created_at,
      ap.id AS ap_id, ap.slug AS ap_slug, ap.created_at AS ap_created_at, ap.created_by AS ap_created_by, am.role AS am_role,
      ae.id AS ae_id, ae.revision AS ae_revision
    FROM unnest(${lookups.map((l) => l.hash)}::text[], ${lookups.map((l) => l.slug)}::text[], ${lookups.map((l) => l.env)}::text[])
      WITH ORDINALITY AS r(hash, slug, env, n)
    JOIN api_keys ON api_keys.hash = r.hash
    LEFT JOIN projects ON projects.id = api_keys.service_project_id
    JOIN users ON users.id = api_keys.user_id
    LEFT JOIN projects ap ON ap.slug = r.slug
    LEFT JOIN memberships am ON am.project_id = ap.id AND am.user_id = api_keys.user_id
    LEFT JOIN environments ae ON ae.project_id = ap.id AND ae.name = r.env`.execute(db);
  const found: (KeyWithAccess | undefined)[] = lookups.map(() => undefined);
  for (const { n, ...row } of rows) {
    const i = Number(n) - 1;
    found[i] = toKeyWithAccess(row, (lookups[i] as KeyAccessLookup).env);
  }
  return found;
}

export async function listApiKeys(db: Executor, userId: string): Promise<ApiKeyWithScope[]> {
  return keysWithScope(db).where('api_keys.user_id', '=', userId).orderBy('api_keys.created_at').orderBy('api_keys.id').execute();
}

export async function findApiKey(db: Executor, userId: string, id: string): Promise<ApiKeyWithScope | undefined> {
  return keysWithScope(db).where('api_keys.user_id', '=', userId).where('api_keys.id', '=', id).executeTakeFirst();
}

export async function revokeApiKey(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Records use, but writes at most once per `since` window (ISO strings compare in time order). */
export async function touchApiKey(db: Executor, id: string, at: string, since: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', since)]))
    .execute();
}

/** A key's state and its user's role in one project (null when not a member); see findKeyAccess. */
export interface KeyAccessRow {
  key_id: string;
  revoked_at: string | null;
  expires_at: string | null;
  project_id: string | null;
  role: string | null;
}

// (key, project) pairs per query: at most 1,000 bound parameters, well under SQLite's limit.
const ACCESS_CHUNK = 500;

/**
 * For the keys and projects of `pairs`: each existing key's revocation and expiry, once per project
 * of those its user belongs to (with the role), or once with a null project when none. One query
 * per 500 pairs.
 */
export async function findKeyAccess(db: Executor, pairs: { keyId: string; projectId: string }[]): Promise<KeyAccessRow[]> {
  const rows: KeyAccessRow[] = [];
  for (let i = 0; i < pairs.length; i += ACCESS_CHUNK) {
    const chunk = pairs.slice(i, i + ACCESS_CHUNK);
    const keyIds = [...new Set(chunk.map((p) => p.keyId))];
    const projectIds = [...new Set(chunk.map((p) => p.projectId))];
    rows.push(
      ...(await db
        .selectFrom('api_keys')
        .leftJoin('memberships', (join) =>
          join.onRef('memberships.user_id', '=', 'api_keys.user_id').on('memberships.project_id', 'in', projectIds),
        )
        .select(['api_keys.id as key_id', 'api_keys.revoked_at', 'api_keys.expires_at', 'memberships.project_id', 'memberships.role'])
        .where('api_keys.id', 'in', keyIds)
        .execute()),
    );
  }
  return rows;
}
