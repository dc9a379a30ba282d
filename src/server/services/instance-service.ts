import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { emailSchema } from '../../contract/index.js';
import { computeKeyCheck, keyCheckMatches, type DerivedKeys } from '../crypto/value-crypto.js';
import { getMeta, META_INITIALISED_AT, META_KEY_CHECK, setMeta } from '../store/meta-store.js';
import type { DB, Executor } from '../store/schema.js';
import { findUserByEmail, insertUser } from '../store/users-store.js';
import { issueApiKey } from './api-keys-service.js';

export type InstanceState = 'uninitialised' | 'key-matches' | 'key-mismatch';

/** Whether the instance is initialised and, if so, whether these keys match its key check. */
export async function checkInstanceKey(db: Executor, keys: DerivedKeys): Promise<InstanceState> {
  const stored = await getMeta(db, META_KEY_CHECK);
  if (stored === undefined) return 'uninitialised';
  return keyCheckMatches(keys, stored) ? 'key-matches' : 'key-mismatch';
}

/** Whether a key check has been stored (the instance was initialised). */
export async function isInitialised(db: Executor): Promise<boolean> {
  return (await getMeta(db, META_KEY_CHECK)) !== undefined;
}

/** Stores the key check and init time; the caller has checked the instance is fresh. */
export async function storeKeyCheck(db: Executor, keys: DerivedKeys, now: Date): Promise<void> {
  await setMeta(db, META_KEY_CHECK, computeKeyCheck(keys));
  await setMeta(db, META_INITIALISED_AT, now.toISOString());
}

/** An email as every account stores it (trimmed, lowercase), or undefined when it is not an email address. */
export function normaliseEmail(text: string): string | undefined {
  const parsed = emailSchema.safeParse(text);
  return parsed.success ? parsed.data : undefined;
}

/** Creates a user (unless the email exists) and issues them a new API key, in one transaction. */
export async function bootstrapUser(
  db: Kysely<DB>,
  opts: { email: string; name?: string; keyName?: string; now?: Date },
): Promise<{ user: { id: string; email: string; name: string }; token: string }> {
  const now = opts.now ?? new Date();
  const email = normaliseEmail(opts.email);
  if (email === undefined) throw new Error(`"${opts.email}" is not an email address`);
  return db.transaction().execute(async (trx) => {
    let user = await findUserByEmail(trx, email);
    if (!user) {
      user = { id: randomUUID(), email, name: opts.name ?? email.split('@')[0] ?? email, created_at: now.toISOString() };
      await insertUser(trx, user);
    }
    const { token } = await issueApiKey(trx, user.id, opts.keyName ?? 'bootstrap', now);
    return { user: { id: user.id, email: user.email, name: user.name }, token };
  });
}
