import { existsSync } from 'node:fs';
import type { DerivedKeys } from '../crypto/value-crypto.js';
import { checkInstanceKey } from '../services/instance-service.js';
import { openDatabase, sqliteFile, type DatabaseOptions, type KryptDatabase } from '../store/database.js';
import type { Executor } from '../store/schema.js';

// The instance's store as every entry opens it, and the one check that a master key opens it.

export const NOT_INITIALISED_MESSAGE = 'this Krypt instance is not initialised';
export const KEY_MISMATCH_MESSAGE = 'the master key does not match this instance (key check failed)';

/** Opens the store `database` describes, or adopts an opened one (`owned` false: the caller closes it). */
export async function useDatabase(
  database: DatabaseOptions | KryptDatabase,
  warn?: (message: string) => void,
): Promise<{ kdb: KryptDatabase; owned: boolean }> {
  if ('db' in database) return { kdb: database, owned: false };
  return { kdb: await openDatabase(database, warn ? { warn } : {}), owned: true };
}

/** False for a SQLite data directory without its database file (opening it would create an empty one). */
export function storeExists(database: DatabaseOptions): boolean {
  return !('dataDir' in database) || existsSync(sqliteFile(database.dataDir));
}

/** What an entry throws when the key check fails; each entry names its own next step. */
export interface InstanceRefusals {
  notInitialised: () => Error;
  mismatch: () => Error;
}

/** Resolves when `keys` match the instance's key check; otherwise throws the matching refusal. */
export async function requireInstanceKey(db: Executor, keys: DerivedKeys, refusals: InstanceRefusals): Promise<void> {
  const state = await checkInstanceKey(db, keys);
  if (state === 'uninitialised') throw refusals.notInitialised();
  if (state === 'key-mismatch') throw refusals.mismatch();
}
