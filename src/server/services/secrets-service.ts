import type { Kysely, Transaction } from 'kysely';
import type {
  Environment,
  KeysResponse,
  SecretsResponse,
  WriteSecretsResponse,
} from '../../contract/index.js';
import { decryptValue, encryptValue, type ValueContext } from '../crypto/value-crypto.js';
import { findEnvironment, lockEnvironment, setEnvironmentRevision, type EnvironmentRow } from '../store/projects-store.js';
import type { DB } from '../store/schema.js';
import {
  deleteSecrets,
  findSecret,
  insertSecretVersions,
  keysChangedSince,
  latestVersions,
  listSecretMeta,
  listSecrets,
  upsertSecrets,
  type SecretRow,
  type SecretVersionRow,
} from '../store/secrets-store.js';
import { requireCan, type Action } from './policy.js';
import { requireProjectAccess } from './projects-service.js';
import { ServiceError } from './service-error.js';
import type { AuthContext, ServiceDeps } from './service-deps.js';

/** A bulk write after schema validation (defaults applied). */
export interface WriteSecretsInput {
  baseRevision?: number | undefined;
  set: Record<string, string>;
  delete: string[];
}

interface Scope {
  projectId: string;
  slug: string;
  env: EnvironmentRow;
}

/** Creates the service that reads and writes one environment's secrets. */
export function createSecretsService(deps: ServiceDeps) {
  const { keys } = deps;

  // A consistent snapshot for multi-statement reads (SQLite's single connection already is one).
  function readTransaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    const builder = deps.db.transaction();
    return (deps.dialect === 'postgres' ? builder.setIsolationLevel('repeatable read') : builder).execute(fn);
  }

  async function scope(db: Kysely<DB>, auth: AuthContext, slug: string, env: Environment, actions: Action[]) {
    const access = await requireProjectAccess(db, auth, slug);
    for (const action of actions) requireCan(access.role, action, env);
    const row = await findEnvironment(db, access.project.id, env);
    if (!row) throw new ServiceError('not_found', `environment "${env}" not found in project "${slug}"`);
    return { projectId: access.project.id, slug, env: row } satisfies Scope;
  }

  function ctx(s: Scope, key: string, version: number): ValueContext {
    return { projectId: s.projectId, environment: s.env.name, key, version };
  }

  return {
    /** Every key with its decrypted value, and the environment's revision. */
    async readAll(auth: AuthContext, slug: string, env: Environment): Promise<SecretsResponse> {
      return readTransaction(async (trx) => {
        const s = await scope(trx, auth, slug, env, ['read']);
        const secrets: Record<string, string> = {};
        for (const row of await listSecrets(trx, s.env.id)) secrets[row.key] = decryptValue(keys, ctx(s, row.key, row.version), row);
        return { project: slug, environment: env, revision: s.env.revision, secrets };
      });
    },

    /** Key names and metadata only; viewers may call this. */
    async listKeys(auth: AuthContext, slug: string, env: Environment): Promise<KeysResponse> {
      return readTransaction(async (trx) => {
        const s = await scope(trx, auth, slug, env, ['list']);
        const rows = await listSecretMeta(trx, s.env.id);
        return {
          project: slug,
          environment: env,
          revision: s.env.revision,
          keys: rows.map((r) => ({ key: r.key, version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by })),
        };
      });
    },

    /** One key with its decrypted value; 404 when absent. */
    async readOne(auth: AuthContext, slug: string, env: Environment, key: string) {
      const s = await scope(deps.db, auth, slug, env, ['read']);
      const row = await findSecret(deps.db, s.env.id, key);
      if (!row) throw new ServiceError('not_found', `secret "${key}" not found in ${slug}/${env}`);
      const value = decryptValue(keys, ctx(s, key, row.version), row);
      return { key, version: row.version, updatedAt: row.updated_at, updatedBy: row.updated_by_email ?? row.updated_by, value };
    },

    /**
     * Applies a bulk write atomically. With baseRevision, any requested key written after it is a
     * 409 naming those keys and nothing is applied. Identical values and deletes of absent keys are
     * no-ops; the revision moves by one only when something changed.
     */
    async write(auth: AuthContext, slug: string, env: Environment, input: WriteSecretsInput): Promise<WriteSecretsResponse> {
      const setKeys = Object.keys(input.set);
      const actions: Action[] = input.delete.length > 0 ? ['write', 'delete'] : ['write'];
      return deps.db.transaction().execute(async (trx) => {
        const s = await scope(trx, auth, slug, env, actions);
        const current = await lockEnvironment(trx, s.env.id);
        if (current === undefined) throw new ServiceError('not_found', `project "${slug}" not found`);
        if (input.baseRevision !== undefined) {
          if (input.baseRevision > current) {
            throw new ServiceError('conflict', `base revision ${input.baseRevision} is newer than the environment's revision ${current}`, []);
          }
          const requested = new Set([...setKeys, ...input.delete]);
          const conflicts = (await keysChangedSince(trx, s.env.id, input.baseRevision)).filter((k) => requested.has(k)).sort();
          if (conflicts.length > 0) {
            throw new ServiceError(
              'conflict',
              `${conflicts.length} key(s) changed since revision ${input.baseRevision}: ${conflicts.join(', ')}; pull and retry`,
              conflicts,
            );
          }
        }
        const existing = new Map((await listSecrets(trx, s.env.id)).map((r) => [r.key, r]));
        const versions = await latestVersions(trx, s.env.id);
        const revision = current + 1;
        const at = deps.now().toISOString();
        const upserts: SecretRow[] = [];
        const history: SecretVersionRow[] = [];
        const deleted: string[] = [];
        for (const key of setKeys) {
          const value = input.set[key] as string;
          const old = existing.get(key);
          if (old && decryptValue(keys, ctx(s, key, old.version), old) === value) continue;
          const version = (versions.get(key) ?? 0) + 1;
          const stored = encryptValue(keys, ctx(s, key, version), value);
          upserts.push({ environment_id: s.env.id, key, version, ...stored, updated_revision: revision, updated_at: at, updated_by: auth.user.id });
          history.push({ environment_id: s.env.id, key, version, ...stored, deleted: 0, revision, created_at: at, created_by: auth.user.id });
        }
        for (const key of input.delete) {
          if (!existing.has(key)) continue;
          const version = (versions.get(key) ?? 0) + 1;
          deleted.push(key);
          history.push({ environment_id: s.env.id, key, version, value: null, tag: null, deleted: 1, revision, created_at: at, created_by: auth.user.id });
        }
        if (history.length === 0) return { revision: current, changed: [], deleted: [] };
        await upsertSecrets(trx, upserts);
        await deleteSecrets(trx, s.env.id, deleted);
        await insertSecretVersions(trx, history);
        await setEnvironmentRevision(trx, s.env.id, revision);
        return { revision, changed: upserts.map((r) => r.key).sort(), deleted: deleted.sort() };
      });
    },
  };
}
export type SecretsService = ReturnType<typeof createSecretsService>;
