import type { Executor } from './schema.js';

// Instance-level key/value settings (the master key check value, initialisation time).

export const META_KEY_CHECK = 'key_check';
export const META_INITIALISED_AT = 'initialised_at';
/** How the audit chain is hashed: 'hmac-sha256-v1' once keyed; absent for a chain written before keying. */
export const META_AUDIT_CHAIN = 'audit_chain';

export async function getMeta(db: Executor, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function setMeta(db: Executor, key: string, value: string): Promise<void> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
