import type { Transaction } from 'kysely';
import { ENVIRONMENTS, type CompareEntry, type CompareResponse, type Environment, type KeysResponse, type SecretsResponse, type WriteSecretsResponse } from '../../contract/index.js';
import { IntegrityError } from '../crypto/value-crypto.js';
import type { DB, Executor } from '../store/schema.js';
import { findSecret, listSecretMeta, listSecrets } from '../store/secrets-store.js';
import { authorize, requireEnvironmentScope, requireProjectScope, withEnvironment, type EnvironmentScope } from './access.js';
import type { Action } from './policy.js';
import { decryptSecret, type ChangeSet } from './secret-writes.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuditEvent, type AuthContext, type ServiceDeps } from './service-deps.js';
import { locationOf, performWrite } from './write-path.js';

/** A bulk write after schema validation (defaults applied). */
export interface WriteSecretsInput extends ChangeSet {
  baseRevision?: number | undefined;
}

/**
 * Resolves the caller's scope in one environment, checks `action` with the policy and takes a
 * consistent view of the environment: one read of its row, the revision included, under a shared
 * lock on PostgreSQL when `trx` is a transaction (rows read after it belong to that revision).
 * Outside a transaction it is one query, or none when deps.kept holds its answer (kept-reads.ts).
 */
export async function readScope(
  deps: ServiceDeps,
  trx: Executor,
  auth: AuthContext,
  slug: string,
  env: Environment,
  action: Action,
): Promise<EnvironmentScope> {
  if (!trx.isTransaction) return requireEnvironmentScope(trx, auth, slug, env, action, deps.kept);
  const project = await requireProjectScope(trx, auth, slug);
  authorize(project, action, env);
  return withEnvironment(trx, project, env, deps.dialect === 'postgres');
}

/** An environment's values at one revision: the keys whose row failed its integrity check are left out and named. */
interface Values {
  secrets: Readonly<Record<string, string>>;
  keyCount: number;
  damaged: string[];
}

/** Creates the service that reads and writes one environment's secrets. */
export function createSecretsService(deps: ServiceDeps) {
  const { keys } = deps;
  const transaction = <T>(fn: (trx: Transaction<DB>) => Promise<T>) => deps.db.transaction().execute(fn);

  /** Decrypts every value of the environment at the scope's revision and keeps them (unless a row is damaged). */
  async function decryptEnvironment(trx: Executor, s: EnvironmentScope): Promise<Values> {
    const at = locationOf(s);
    const secrets: Record<string, string> = {};
    const damaged: string[] = [];
    const rows = await listSecrets(trx, s.env.id);
    for (const row of rows) {
      try {
        secrets[row.key] = decryptSecret(keys, at, row.key, row.version, row);
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err;
        damaged.push(row.key);
      }
    }
    if (damaged.length === 0) deps.decrypted.put(s.project.id, s.env.id, s.env.revision, secrets);
    return { secrets, keyCount: rows.length - damaged.length, damaged };
  }

  /**
   * Every value of the environment at the scope's revision, and the keys whose row failed its
   * integrity check; decrypted once per revision and shared by the reads that follow.
   */
  async function environmentValues(trx: Executor, s: EnvironmentScope): Promise<Values> {
    const kept = deps.decrypted.get(s.project.id, s.env.id, s.env.revision);
    return kept ? { ...kept, damaged: [] } : decryptEnvironment(trx, s);
  }

  return {
    /**
     * Every key with its decrypted value, and the environment's revision (audited). A row that fails
     * its integrity check does not hide the others: it is left out and named in `damaged` (and on the
     * operator's log). A client holding the revision gets "not modified" without a row being read:
     * the CLI keeps a copy only of complete reads, so its copy of that revision holds every value as
     * it was written. Values are decrypted once per (environment, revision) and shared by the reads
     * that follow (decrypted-environments.ts). The entry is compact (revision and key count: the
     * revision names exactly which keys were read) and group-committed after the read's
     * transaction; the answer waits for it.
     */
    async readAll(auth: AuthContext, slug: string, env: Environment, knownRevision?: number): Promise<SecretsResponse | { notModified: true; revision: number }> {
      type Read = { s: EnvironmentScope; notModified: true } | ({ s: EnvironmentScope } & Values);
      // Most reads need no transaction: the revision is all a 304 or a kept decryption needs (the
      // values of a revision never change). Only decrypting afresh reads rows, in a transaction
      // that holds the revision still while it does.
      const current = async (db: Executor): Promise<Read | EnvironmentScope> => {
        const s = await readScope(deps, db, auth, slug, env, 'read');
        // The client already holds this revision (If-None-Match): nothing to read, decrypt or send, but still a read.
        if (knownRevision === s.env.revision) return { s, notModified: true };
        const kept = deps.decrypted.get(s.project.id, s.env.id, s.env.revision);
        return kept ? { s, ...kept, damaged: [] } : s;
      };
      const quick = await current(deps.db);
      const read: Read =
        'env' in quick
          ? await transaction(async (trx) => {
              const s = await readScope(deps, trx, auth, slug, env, 'read');
              return knownRevision === s.env.revision ? { s, notModified: true } : { s, ...(await decryptEnvironment(trx, s)) };
            })
          : quick;
      const { s } = read;
      const damaged = 'damaged' in read ? read.damaged : [];
      if (damaged.length > 0) {
        deps.log.error({ project: slug, environment: env, keys: damaged }, `stored value(s) failed their integrity check, left out of a read: ${damaged.join(', ')}`);
      }
      // Built field by field: object spreads here cost ~2 µs a read, on the hottest path.
      const details: NonNullable<AuditEvent['details']> = { revision: s.env.revision };
      if ('notModified' in read) details.notModified = true;
      else details.keyCount = read.keyCount;
      if (damaged.length > 0) details.damaged = damaged.join(',');
      const { actor, client } = auditActor(auth);
      await deps.audit.append({ actor, client, action: 'secrets.read', project: s.audit, environment: env, details });
      if ('notModified' in read) return { notModified: true, revision: s.env.revision };
      const response: SecretsResponse = { project: slug, environment: env, revision: s.env.revision, secrets: read.secrets as Record<string, string> };
      if (damaged.length > 0) response.damaged = damaged;
      return response;
    },

    /** Key names and metadata only; viewers may call this. */
    async listKeys(auth: AuthContext, slug: string, env: Environment): Promise<KeysResponse> {
      return transaction(async (trx) => {
        const s = await readScope(deps, trx, auth, slug, env, 'list');
        const rows = await listSecretMeta(trx, s.env.id);
        return {
          project: slug,
          environment: env,
          revision: s.env.revision,
          keys: rows.map((r) => ({ key: r.key, version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by })),
        };
      });
    },

    /**
     * Which keys are missing or hold different values across the three environments. Values are
     * compared here and never sent; equality is information about values, so it takes the right to
     * read every environment (not a Viewer's) and is audited.
     */
    async compare(auth: AuthContext, slug: string): Promise<CompareResponse> {
      const { project, revisions, result } = await transaction(async (trx) => {
        const project = await requireProjectScope(trx, auth, slug);
        for (const env of ENVIRONMENTS) authorize(project, 'read', env);
        const revisions = { development: 0, staging: 0, production: 0 };
        const entries = new Map<string, CompareEntry>();
        // Decrypted values, per key and environment, only for the comparison (null: a damaged row).
        const values = new Map<string, Map<Environment, string | null>>();
        for (const env of ENVIRONMENTS) {
          const s = await readScope(deps, trx, auth, slug, env, 'read');
          revisions[env] = s.env.revision;
          for (const meta of await listSecretMeta(trx, s.env.id)) {
            let entry = entries.get(meta.key);
            if (!entry) entries.set(meta.key, (entry = { key: meta.key, status: 'missing', development: null, staging: null, production: null }));
            entry[env] = { version: meta.version, updatedAt: meta.updated_at, updatedBy: meta.updated_by, group: null };
          }
          const read = await environmentValues(trx, s);
          const cells: [string, string | null][] = [...Object.entries(read.secrets), ...read.damaged.map((k): [string, null] => [k, null])];
          for (const [key, value] of cells) {
            let byEnv = values.get(key);
            if (!byEnv) values.set(key, (byEnv = new Map()));
            byEnv.set(env, value);
          }
        }
        const result = [...entries.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        for (const entry of result) settle(entry, values.get(entry.key) ?? new Map());
        return { project, revisions, result };
      });
      await deps.audit.append({
        ...auditActor(auth),
        action: 'secrets.compare',
        project: project.audit,
        environment: null,
        details: { keys: result.length, ...revisions },
      });
      return { project: slug, revisions, keys: result };
    },

    /**
     * One key with its decrypted value; 404 when absent (audited, after the read, by group commit).
     * No transaction: the answer names the key's version, not the environment's revision, so the
     * row as last committed is the answer.
     */
    async readOne(auth: AuthContext, slug: string, env: Environment, key: string) {
      const s = await readScope(deps, deps.db, auth, slug, env, 'read-one');
      const row = await findSecret(deps.db, s.env.id, key);
      if (!row) throw new ServiceError('not_found', `secret "${key}" not found in ${slug}/${env}`);
      const value = decryptSecret(keys, locationOf(s), key, row.version, row);
      await deps.audit.append({
        ...auditActor(auth),
        action: 'secret.read',
        project: s.audit,
        environment: env,
        keys: [key],
        details: { version: row.version },
      });
      return { key, version: row.version, updatedAt: row.updated_at, updatedBy: row.updated_by_email ?? row.updated_by, value };
    },

    /**
     * Applies a bulk write atomically, or (a Member writing production) creates a pending change
     * request instead. With baseRevision, any requested key written after it is a 409 naming those
     * keys and nothing is applied. Identical values and deletes of absent keys are no-ops.
     */
    async write(auth: AuthContext, slug: string, env: Environment, input: WriteSecretsInput): Promise<WriteSecretsResponse> {
      return transaction(async (trx) => {
        const project = await requireProjectScope(trx, auth, slug);
        const scope = await withEnvironment(trx, project, env);
        return performWrite(deps, trx, auth, scope, { set: input.set, delete: input.delete }, input.baseRevision, { action: 'secrets.write' });
      });
    },
  };
}
export type SecretsService = ReturnType<typeof createSecretsService>;


/** Numbers equal values 0, 1, 2 in environment order (damaged rows stay null) and sets the entry's status. */
function settle(entry: CompareEntry, values: ReadonlyMap<Environment, string | null>): void {
  const seen: string[] = [];
  for (const env of ENVIRONMENTS) {
    const cell = entry[env];
    const value = values.get(env);
    if (!cell || value === undefined || value === null) continue;
    let group = seen.indexOf(value);
    if (group < 0) group = seen.push(value) - 1;
    cell.group = group;
  }
  if (ENVIRONMENTS.some((env) => entry[env] === null)) entry.status = 'missing';
  else entry.status = ENVIRONMENTS.every((env) => entry[env]?.group === 0) ? 'same' : 'different';
}
