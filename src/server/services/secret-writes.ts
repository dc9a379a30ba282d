import type { Environment } from '../../contract/index.js';
import { decryptValue, encryptValue, IntegrityError, type DerivedKeys, type StoredValue, type ValueContext } from '../crypto/value-crypto.js';
import { setEnvironmentRevision } from '../store/projects-store.js';
import type { Executor } from '../store/schema.js';
import {
  deleteSecrets,
  insertSecretVersions,
  keysChangedSince,
  latestVersions,
  listSecrets,
  listSecretsByKey,
  upsertSecrets,
  type SecretRow,
  type SecretVersionRow,
} from '../store/secrets-store.js';
import type { ChangePublisher } from './change-feed.js';
import { ServiceError } from './service-error.js';

// The one path that changes secrets: direct writes, change-request approvals and rollbacks all
// apply through applyChanges, inside the caller's transaction and after it locked the environment.

/** Where a secret lives, as its encryption context needs it. */
export interface SecretLocation {
  projectId: string;
  projectSlug: string;
  environmentId: string;
  environment: Environment;
}

/** Proposed sets and deletes (after schema validation). */
export interface ChangeSet {
  set: Record<string, string>;
  delete: string[];
}

export interface AppliedChanges {
  revision: number;
  changed: string[];
  deleted: string[];
}

/** The encryption context of one stored secret version. */
export function secretContext(at: SecretLocation, key: string, version: number): ValueContext {
  return { projectId: at.projectId, environment: at.environment, key, version };
}

/** Where a stored secret is, as an error names it (never anything of its value). */
export function describeSecret(at: SecretLocation, key: string, version: number): string {
  return `${key} in ${at.projectSlug}/${at.environment} (version ${version})`;
}

/** Decrypts one stored secret; a row that fails its check is an IntegrityError naming the key. */
export function decryptSecret(keys: DerivedKeys, at: SecretLocation, key: string, version: number, stored: StoredValue): string {
  try {
    return decryptValue(keys, secretContext(at, key, version), stored);
  } catch (err) {
    if (err instanceof IntegrityError) throw new IntegrityError(`the stored value of ${describeSecret(at, key, version)} failed its integrity check`);
    throw err;
  }
}

/** Current values by key, and the keys whose stored row failed its integrity check (a damaged row). */
export interface CurrentValues {
  values: Map<string, string>;
  damaged: Set<string>;
}

/**
 * Decrypted current values of an environment (only the keys named in `only`, when given). A damaged
 * row does not stop the others: it is reported in `damaged`, so it can be replaced or deleted.
 */
export async function currentValues(trx: Executor, keys: DerivedKeys, at: SecretLocation, only?: readonly string[]): Promise<CurrentValues> {
  const current: CurrentValues = { values: new Map(), damaged: new Set() };
  const rows = only === undefined ? await listSecrets(trx, at.environmentId) : await listSecretsByKey(trx, at.environmentId, only);
  for (const r of rows) {
    try {
      current.values.set(r.key, decryptValue(keys, secretContext(at, r.key, r.version), r));
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err;
      current.damaged.add(r.key);
    }
  }
  return current;
}

/** 409 naming the requested keys written after `baseRevision` (or when the base is in the future). */
export async function assertNoConflicts(trx: Executor, at: SecretLocation, current: number, baseRevision: number, keys: string[]): Promise<void> {
  if (baseRevision > current) {
    throw new ServiceError('conflict', `base revision ${baseRevision} is newer than the environment's revision ${current}`, []);
  }
  const requested = new Set(keys);
  const conflicts = (await keysChangedSince(trx, at.environmentId, baseRevision)).filter((k) => requested.has(k)).sort();
  if (conflicts.length > 0) {
    throw new ServiceError(
      'conflict',
      `${conflicts.length} key(s) changed since revision ${baseRevision}: ${conflicts.join(', ')}; pull and retry`,
      conflicts,
    );
  }
}

/**
 * The part of a change set that would change something: identical values and absent deletes drop
 * out. A damaged key always counts as different (writing it replaces the damaged row) and present.
 */
export function effectiveChanges(current: CurrentValues, changes: ChangeSet): ChangeSet {
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(changes.set)) if (current.damaged.has(key) || current.values.get(key) !== value) set[key] = value;
  return { set, delete: changes.delete.filter((k) => current.values.has(k) || current.damaged.has(k)) };
}

/** The keys a change set names. */
export function changedKeys(changes: ChangeSet): string[] {
  return [...Object.keys(changes.set), ...changes.delete];
}

/**
 * Applies a change set at revision `current + 1` (the caller holds the environment's lock).
 * No-ops change nothing; the revision moves by one only when something changed.
 */
export async function applyChanges(
  trx: Executor,
  deps: { keys: DerivedKeys; now: () => Date; changes: ChangePublisher },
  at: SecretLocation,
  current: number,
  authorId: string,
  changes: ChangeSet,
): Promise<AppliedChanges> {
  const effective = effectiveChanges(await currentValues(trx, deps.keys, at, changedKeys(changes)), changes);
  const setKeys = Object.keys(effective.set);
  if (setKeys.length === 0 && effective.delete.length === 0) return { revision: current, changed: [], deleted: [] };
  const versions = await latestVersions(trx, at.environmentId, [...setKeys, ...effective.delete]);
  const revision = current + 1;
  const when = deps.now().toISOString();
  const upserts: SecretRow[] = [];
  const history: SecretVersionRow[] = [];
  const common = { environment_id: at.environmentId, revision, created_at: when, created_by: authorId };
  for (const key of setKeys) {
    const version = (versions.get(key) ?? 0) + 1;
    const stored = encryptValue(deps.keys, secretContext(at, key, version), effective.set[key] as string);
    upserts.push({ environment_id: at.environmentId, key, version, ...stored, updated_revision: revision, updated_at: when, updated_by: authorId });
    history.push({ ...common, key, version, ...stored, deleted: 0 });
  }
  for (const key of effective.delete) {
    history.push({ ...common, key, version: (versions.get(key) ?? 0) + 1, value: null, tag: null, deleted: 1 });
  }
  await upsertSecrets(trx, upserts);
  await deleteSecrets(trx, at.environmentId, effective.delete);
  await insertSecretVersions(trx, history);
  await setEnvironmentRevision(trx, at.environmentId, revision);
  // Watchers hear of the new revision only once this transaction commits (change-feed.ts).
  await deps.changes.published(trx, at.environmentId, revision);
  return { revision, changed: setKeys.sort(), deleted: [...effective.delete].sort() };
}
