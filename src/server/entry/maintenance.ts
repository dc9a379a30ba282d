import { sql } from 'kysely';
import { formatMasterKey, generateMasterKey } from '../crypto/master-key.js';
import { deriveKeys } from '../crypto/value-crypto.js';
import { rekeyAuditChain, verifyAuditChain, type AuditVerification } from '../services/audit-chain.js';
import { countStoredValues, reencryptAll, type RotationCounts } from '../services/rotation-service.js';
import { openDatabase, sqliteFile, type DatabaseOptions, type KryptDatabase } from '../store/database.js';
import { snapshotSqlite, SnapshotExistsError, type SqliteSnapshot } from '../store/sqlite-backup.js';
import { MaintenanceError } from './errors.js';
import { KEY_MISMATCH_MESSAGE, NOT_INITIALISED_MESSAGE, requireInstanceKey, storeExists, type InstanceRefusals } from './instance.js';

// Offline maintenance of an existing instance: `krypt server verify-audit`, `rotate-key` and `backup`.

const notInitialised = () => new MaintenanceError('not_initialised', NOT_INITIALISED_MESSAGE, 'check --data-dir or --database-url');

/** The key check's refusals; `mismatchHint` says which key to pass instead. */
const refusals = (mismatchHint: string): InstanceRefusals => ({
  notInitialised,
  mismatch: () => new MaintenanceError('master_key_mismatch', KEY_MISMATCH_MESSAGE, mismatchHint),
});

/** Fails (rather than creating an empty database) when a SQLite data directory holds no store. */
export function assertStoreExists(database: DatabaseOptions): void {
  if (!storeExists(database)) throw notInitialised();
}

/**
 * `krypt server verify-audit`: opens the store, checks the master key against the key check,
 * recomputes every entry's keyed hash and link, and lists every problem; problems[0] is the first
 * break. An uninitialised instance is an error (never "ok, 0 entries"), and a missing SQLite file
 * is not created.
 */
export async function verifyAudit(database: DatabaseOptions, masterKey: Buffer): Promise<AuditVerification> {
  assertStoreExists(database);
  const keys = deriveKeys(masterKey);
  const kdb = await openDatabase(database);
  try {
    await requireInstanceKey(kdb.db, keys, refusals('pass the master key the server starts with'));
    return await verifyAuditChain(kdb.db, keys.auditKey);
  } finally {
    await kdb.destroy();
  }
}

const IN_USE_HINT = 'stop every `krypt server start` on this store, run rotate-key, then start the servers with the new key';

/**
 * SQLite: takes the file's lock for the whole connection (exclusive locking mode), which fails while
 * a server holds the database open and keeps a server from opening it mid-rotation. PostgreSQL: every
 * running server holds a LISTEN connection named krypt-change-feed; refuse while one is connected.
 */
async function claimStore(kdb: KryptDatabase): Promise<void> {
  if (kdb.dialect === 'sqlite') {
    await sql`PRAGMA busy_timeout = 1000`.execute(kdb.db);
    await sql`PRAGMA locking_mode = EXCLUSIVE`.execute(kdb.db);
    try {
      await sql`BEGIN IMMEDIATE`.execute(kdb.db);
      await sql`COMMIT`.execute(kdb.db);
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      throw new MaintenanceError('database_in_use', 'the SQLite database is in use by another process (is the server still running?)', IN_USE_HINT);
    }
    return;
  }
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'krypt-change-feed' AND pid <> pg_backend_pid()`.execute(kdb.db);
  const servers = Number(rows[0]?.n ?? 0);
  if (servers > 0) {
    throw new MaintenanceError('database_in_use', `${servers} Krypt server(s) are connected to this database`, IN_USE_HINT);
  }
}

export interface RotateMasterKeyOptions {
  database: DatabaseOptions;
  /** The current master key (32 bytes). */
  masterKey: Buffer;
  /** Called inside the transaction once it holds the store, with the number of values to rewrite. */
  onStart?: (values: number) => void;
  /**
   * Receives the new key (64 hex) after every value was re-encrypted and just before commit; if it
   * throws, nothing changes. If the process dies after it, the store may still be on the old key.
   */
  saveNewKey: (masterKey: string) => void | Promise<void>;
}

/** Verifies the current key, then re-encrypts every stored value under a new key in one transaction. */
export async function rotateMasterKey(opts: RotateMasterKeyOptions): Promise<RotationCounts> {
  assertStoreExists(opts.database);
  const oldKeys = deriveKeys(opts.masterKey);
  const kdb = await openDatabase(opts.database);
  try {
    await claimStore(kdb);
    const refused = refusals('pass the master key the server currently starts with');
    await requireInstanceKey(kdb.db, oldKeys, refused);
    const newKey = generateMasterKey();
    try {
      return await kdb.db.transaction().execute(async (trx) => {
        if (kdb.dialect === 'postgres') {
          // Writers wait (readers do not) until the rotation commits or rolls back.
          await sql`LOCK TABLE meta, secrets, secret_versions, change_request_items, outbox, webhooks IN EXCLUSIVE MODE`.execute(trx);
          await requireInstanceKey(trx, oldKeys, refused);
        }
        const total = await countStoredValues(trx);
        opts.onStart?.(total);
        const newKeys = deriveKeys(newKey);
        const counts = await reencryptAll(trx, oldKeys, newKeys);
        const done = counts.secrets + counts.versions + counts.changeRequestValues;
        if (done !== total) {
          throw new MaintenanceError('incomplete_rotation', `only ${done} of ${total} stored values could be located; rotation aborted`, 'nothing was changed; run `krypt server verify-audit` and check the database for orphaned rows');
        }
        // The audit chain is keyed by the master key: verified under the old key, re-keyed under the new.
        const chain = await rekeyAuditChain(trx, oldKeys.auditKey, newKeys.auditKey);
        const broken = chain.problems[0];
        if (broken) {
          throw new MaintenanceError(
            'audit_chain_broken',
            `the audit chain is broken at entry #${broken.id} (${broken.message}); rotation aborted, nothing was changed`,
            'run `krypt server verify-audit` and keep this database for investigation; re-keying it would hide the tampering',
          );
        }
        await opts.saveNewKey(formatMasterKey(newKey));
        return counts;
      });
    } finally {
      newKey.fill(0);
    }
  } finally {
    await kdb.destroy();
  }
}

/** Takes a consistent online snapshot of a SQLite store into the new file `out` (no master key needed). */
export async function backupStore(database: DatabaseOptions, out: string): Promise<SqliteSnapshot> {
  if ('databaseUrl' in database) {
    throw new MaintenanceError(
      'backup_unsupported',
      'krypt server backup copies SQLite data directories; back up PostgreSQL with pg_dump',
      'pg_dump --format=custom --file krypt.dump "$KRYPT_DATABASE_URL" (restore with pg_restore; see README "Backups")',
    );
  }
  if ('memory' in database) throw notInitialised();
  assertStoreExists(database);
  try {
    return await snapshotSqlite(sqliteFile(database.dataDir), out);
  } catch (err) {
    if (err instanceof SnapshotExistsError) {
      throw new MaintenanceError('backup_exists', `${out} already exists; a backup never overwrites a file`, 'choose a new --out path');
    }
    throw err;
  }
}
