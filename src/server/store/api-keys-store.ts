import type { ApiKeysTable, Executor, UsersTable } from './schema.js';

export type ApiKeyRow = ApiKeysTable;

export async function insertApiKey(db: Executor, key: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(key).execute();
}

/** The key with this hash and its user, whatever its state (the caller checks expiry/revocation). */
export async function findApiKeyByHash(
  db: Executor,
  hash: string,
): Promise<{ key: ApiKeyRow; user: UsersTable } | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .select([
      'api_keys.id as id',
      'api_keys.user_id as user_id',
      'api_keys.name as name',
      'api_keys.prefix as prefix',
      'api_keys.hash as hash',
      'api_keys.created_at as created_at',
      'api_keys.expires_at as expires_at',
      'api_keys.revoked_at as revoked_at',
      'api_keys.last_used_at as last_used_at',
      'users.email as user_email',
      'users.name as user_name',
      'users.created_at as user_created_at',
    ])
    .where('api_keys.hash', '=', hash)
    .executeTakeFirst();
  if (!row) return undefined;
  const { user_email, user_name, user_created_at, ...key } = row;
  return { key, user: { id: key.user_id, email: user_email, name: user_name, created_at: user_created_at } };
}

export async function listApiKeys(db: Executor, userId: string): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
}

export async function findApiKey(db: Executor, userId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
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
