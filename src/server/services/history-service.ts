import type { Transaction } from 'kysely';
import type { Environment, WriteSecretsResponse } from '../../contract/index.js';
import type { DB } from '../store/schema.js';
import { findKeyVersion, listKeyVersions } from '../store/secrets-store.js';
import { authorize, requireProjectScope, withEnvironment } from './access.js';
import { decryptSecret } from './secret-writes.js';
import { readScope } from './secrets-service.js';
import { ServiceError } from './service-error.js';
import { auditActor, type AuthContext, type ServiceDeps } from './service-deps.js';
import { locationOf, performWrite } from './write-path.js';

/** Creates the service for a key's version history and rollback. */
export function createHistoryService(deps: ServiceDeps) {
  const transaction = <T>(fn: (trx: Transaction<DB>) => Promise<T>) => deps.db.transaction().execute(fn);

  return {
    /** A key's versions, newest first; values only with reveal, for those who may read (audited). */
    async history(auth: AuthContext, slug: string, env: Environment, key: string, reveal: boolean) {
      return transaction(async (trx) => {
        const s = await readScope(deps, trx, auth, slug, env, reveal ? 'read' : 'list');
        const rows = await listKeyVersions(trx, s.env.id, key);
        if (rows.length === 0) throw new ServiceError('not_found', `secret "${key}" has no history in ${slug}/${env}`);
        const versions = rows.map((r) => {
          const base = { version: r.version, revision: r.revision, createdAt: r.created_at, createdBy: r.created_by_email ?? r.created_by, deleted: r.deleted === 1 };
          if (!reveal || r.deleted === 1 || r.value === null || r.tag === null) return base;
          return { ...base, value: decryptSecret(deps.keys, locationOf(s), key, r.version, { value: r.value, tag: r.tag }) };
        });
        if (reveal) {
          await deps.audit.record(trx, {
            ...auditActor(auth),
            action: 'secret.history.reveal',
            project: s.audit,
            environment: env,
            keys: [key],
            details: { versions: rows.length },
          });
        }
        return { project: slug, environment: env, key, versions };
      });
    },

    /**
     * Writes an old version's value as a new version (or deletes the key, for a tombstone), under
     * the same role and change-request rules as any write.
     */
    async rollback(auth: AuthContext, slug: string, env: Environment, key: string, version: number): Promise<WriteSecretsResponse> {
      return transaction(async (trx) => {
        const scope = await withEnvironment(trx, await requireProjectScope(trx, auth, slug), env);
        // Refuse before revealing whether the version exists to someone who may not write.
        authorize(scope, 'write', env);
        const target = await findKeyVersion(trx, scope.env.id, key, version);
        if (!target) throw new ServiceError('not_found', `secret "${key}" has no version ${version} in ${slug}/${env}`);
        const changes =
          target.deleted === 1 || target.value === null || target.tag === null
            ? { set: {}, delete: [key] }
            : { set: { [key]: decryptSecret(deps.keys, locationOf(scope), key, version, { value: target.value, tag: target.tag }) }, delete: [] };
        return performWrite(deps, trx, auth, scope, changes, undefined, { action: 'secret.rollback', details: { rollbackTo: version } });
      });
    },
  };
}
export type HistoryService = ReturnType<typeof createHistoryService>;
