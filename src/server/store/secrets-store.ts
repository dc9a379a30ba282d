import type { Executor, SecretsTable, SecretVersionsTable } from './schema.js';

export type SecretRow = SecretsTable;
export type SecretVersionRow = SecretVersionsTable;

// Chunk size keeping multi-row statements under SQLite's bound-parameter limit.
const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export async function listSecrets(db: Executor, environmentId: string): Promise<SecretRow[]> {
  return db.selectFrom('secrets').selectAll().where('environment_id', '=', environmentId).orderBy('key').execute();
}

/** The current rows of the named keys (absent keys are left out). */
export async function listSecretsByKey(db: Executor, environmentId: string, keys: readonly string[]): Promise<SecretRow[]> {
  const rows: SecretRow[] = [];
  for (const chunk of chunks([...new Set(keys)])) {
    rows.push(...(await db.selectFrom('secrets').selectAll().where('environment_id', '=', environmentId).where('key', 'in', chunk).execute()));
  }
  return rows;
}

/** Current keys with the updater's email (or id when the user no longer exists). */
export async function listSecretMeta(
  db: Executor,
  environmentId: string,
): Promise<{ key: string; version: number; updated_at: string; updated_by: string }[]> {
  const rows = await db
    .selectFrom('secrets')
    .leftJoin('users', 'users.id', 'secrets.updated_by')
    .select(['secrets.key', 'secrets.version', 'secrets.updated_at', 'secrets.updated_by', 'users.email'])
    .where('secrets.environment_id', '=', environmentId)
    .orderBy('secrets.key')
    .execute();
  return rows.map((r) => ({ key: r.key, version: r.version, updated_at: r.updated_at, updated_by: r.email ?? r.updated_by }));
}

export async function findSecret(
  db: Executor,
  environmentId: string,
  key: string,
): Promise<(SecretRow & { updated_by_email: string | null }) | undefined> {
  return db
    .selectFrom('secrets')
    .leftJoin('users', 'users.id', 'secrets.updated_by')
    .selectAll('secrets')
    .select('users.email as updated_by_email')
    .where('secrets.environment_id', '=', environmentId)
    .where('secrets.key', '=', key)
    .executeTakeFirst();
}

/** Keys with a version written after the given revision (changes and deletes alike). */
export async function keysChangedSince(db: Executor, environmentId: string, revision: number): Promise<string[]> {
  const rows = await db
    .selectFrom('secret_versions')
    .select('key')
    .distinct()
    .where('environment_id', '=', environmentId)
    .where('revision', '>', revision)
    .execute();
  return rows.map((r) => r.key);
}

/** Highest version ever written of each named key (tombstones included), so re-created keys keep counting. */
export async function latestVersions(db: Executor, environmentId: string, keys: readonly string[]): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  for (const chunk of chunks([...new Set(keys)])) {
    const rows = await db
      .selectFrom('secret_versions')
      .select((eb) => ['key', eb.fn.max('version').as('version')])
      .where('environment_id', '=', environmentId)
      .where('key', 'in', chunk)
      .groupBy('key')
      .execute();
    for (const r of rows) versions.set(r.key, Number(r.version));
  }
  return versions;
}

export async function upsertSecrets(db: Executor, rows: SecretRow[]): Promise<void> {
  for (const chunk of chunks(rows)) {
    await db
      .insertInto('secrets')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['environment_id', 'key']).doUpdateSet((eb) => ({
          version: eb.ref('excluded.version'),
          value: eb.ref('excluded.value'),
          tag: eb.ref('excluded.tag'),
          updated_revision: eb.ref('excluded.updated_revision'),
          updated_at: eb.ref('excluded.updated_at'),
          updated_by: eb.ref('excluded.updated_by'),
        })),
      )
      .execute();
  }
}

export async function deleteSecrets(db: Executor, environmentId: string, keys: string[]): Promise<void> {
  for (const chunk of chunks(keys)) {
    await db.deleteFrom('secrets').where('environment_id', '=', environmentId).where('key', 'in', chunk).execute();
  }
}

export async function insertSecretVersions(db: Executor, rows: SecretVersionRow[]): Promise<void> {
  for (const chunk of chunks(rows)) await db.insertInto('secret_versions').values(chunk).execute();
}

/** Every version of one key, newest first, with the author's email (or id when the user is gone). */
export async function listKeyVersions(
  db: Executor,
  environmentId: string,
  key: string,
): Promise<(SecretVersionRow & { created_by_email: string | null })[]> {
  return db
    .selectFrom('secret_versions')
    .leftJoin('users', 'users.id', 'secret_versions.created_by')
    .selectAll('secret_versions')
    .select('users.email as created_by_email')
    .where('secret_versions.environment_id', '=', environmentId)
    .where('secret_versions.key', '=', key)
    .orderBy('secret_versions.version', 'desc')
    .execute();
}

export async function findKeyVersion(db: Executor, environmentId: string, key: string, version: number): Promise<SecretVersionRow | undefined> {
  return db
    .selectFrom('secret_versions')
    .selectAll()
    .where('environment_id', '=', environmentId)
    .where('key', '=', key)
    .where('version', '=', version)
    .executeTakeFirst();
}
