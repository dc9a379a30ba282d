import { KryptError } from '../lib/errors.js';
import { flag } from './command.js';

// Where a `krypt server ...` command finds the instance's data: one flag pair and one resolution
// rule for start, init, rotate-key, backup and verify-audit.

/** The storage flag pair; `exclusive` names further flags neither may be combined with (e.g. `dev`). */
export function defineStorageFlags(opts: { exclusive?: string[] } = {}) {
  const others = opts.exclusive ?? [];
  return {
    'data-dir': flag.string({ description: 'SQLite data directory (embedded storage)', exclusive: ['database-url', ...others] }),
    'database-url': flag.string({
      description: 'postgres://... URL (or KRYPT_DATABASE_URL, which keeps a password out of argv)',
      ...(others.length > 0 ? { exclusive: others } : {}),
    }),
  };
}

export const storageFlags = defineStorageFlags();

/** The storage to open (structurally the server's DatabaseOptions). */
export type StorageOptions = { dataDir: string } | { databaseUrl: string };

/** `--data-dir`, else `--database-url`, else KRYPT_DATABASE_URL; none is a usage error with `hint`. */
export function resolveStorage(
  flags: { 'data-dir'?: string | undefined; 'database-url'?: string | undefined },
  env: NodeJS.ProcessEnv,
  hint = 'pass --data-dir DIR (SQLite) or --database-url postgres://...',
): StorageOptions {
  const databaseUrl = flags['database-url'] ?? env.KRYPT_DATABASE_URL;
  if (flags['data-dir']) return { dataDir: flags['data-dir'] };
  if (databaseUrl) return { databaseUrl };
  throw new KryptError('no_database', 'no storage given', { hint });
}
