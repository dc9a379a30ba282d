import { formatMasterKey, generateMasterKey } from '../crypto/master-key.js';
import { deriveKeys } from '../crypto/value-crypto.js';
import { markChainKeyed } from '../services/audit-chain.js';
import { bootstrapUser, isInitialised, normaliseEmail, storeKeyCheck } from '../services/instance-service.js';
import type { DatabaseOptions, KryptDatabase } from '../store/database.js';
import { useDatabase } from './instance.js';
import { ServerStartupError } from './errors.js';

// `krypt server init`: a fresh instance with its master key and first user.

export { DEFAULT_ADMIN_EMAIL } from '../../contract/constants.js';
import { DEFAULT_ADMIN_EMAIL } from '../../contract/constants.js';

export interface InitInstanceOptions {
  database: DatabaseOptions | KryptDatabase;
  email?: string;
  name?: string;
  /** Hears what opening the store fixed (e.g. database files tightened to 0600). */
  warn?: (message: string) => void;
}

export interface InitResult {
  /** 64 lowercase hex characters: shown once, never stored by the server. */
  masterKey: string;
  token: string;
  user: { id: string; email: string; name: string };
}

/** Initialises a fresh instance: new master key, key check, first user and API key. */
export async function initInstance(opts: InitInstanceOptions): Promise<InitResult> {
  const email = normaliseEmail(opts.email ?? DEFAULT_ADMIN_EMAIL);
  if (email === undefined) {
    throw new ServerStartupError('invalid_email', `"${opts.email}" is not an email address`, 'pass the first user\'s email with --email, e.g. you@example.com');
  }
  const { kdb, owned } = await useDatabase(opts.database, opts.warn);
  try {
    if (await isInitialised(kdb.db)) {
      throw new ServerStartupError(
        'already_initialised',
        'this Krypt instance is already initialised',
        'start it with `krypt server start` and the master key you were given at init',
      );
    }
    const masterKey = generateMasterKey();
    const now = new Date();
    await storeKeyCheck(kdb.db, deriveKeys(masterKey), now);
    await markChainKeyed(kdb.db);
    const { user, token } = await bootstrapUser(kdb.db, {
      email,
      ...(opts.name ? { name: opts.name } : {}),
      keyName: 'init',
      now,
    });
    return { masterKey: formatMasterKey(masterKey), token, user };
  } finally {
    if (owned) await kdb.destroy();
  }
}
