import type { Kysely } from 'kysely';
import type { DerivedKeys } from '../crypto/value-crypto.js';
import type { DB, Dialect } from '../store/schema.js';

/** What every service factory receives. */
export interface ServiceDeps {
  db: Kysely<DB>;
  dialect: Dialect;
  keys: DerivedKeys;
  now: () => Date;
}

/** The authenticated caller, attached to each /v1 request by the auth plugin. */
export interface AuthContext {
  user: { id: string; email: string; name: string };
  keyId: string;
}
