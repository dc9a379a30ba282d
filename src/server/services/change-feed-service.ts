import type { Environment } from '../../contract/index.js';
import { readEnvironmentRevision } from '../store/projects-store.js';
import { authorize, requireProjectScope, withEnvironment } from './access.js';
import type { ChangeFeed } from './change-feed.js';
import { ServiceError } from './service-error.js';
import type { AuthContext, ServiceDeps } from './service-deps.js';
import type { StreamAccess } from './stream-access.js';

/** An open watch on one environment. */
export interface RevisionWatch {
  /** The environment's revision when the watch opened (send it first). */
  revision: number;
  /** Resolves when the watch must end: its key was revoked or expired, or read access was lost. */
  revoked: Promise<void>;
  /** Stops delivering revisions and frees the key's stream slot (idempotent). */
  close(): void;
}

/**
 * Creates the service behind the change stream. Watching is authorized like a bulk read (members
 * and up, a service token for its own environment), limited per key and kept under watch by
 * `access` for as long as it lasts. It is not audited: only revision numbers flow, and the reads a
 * watcher makes when one changes are audited as usual.
 */
export function createChangeFeedService(deps: ServiceDeps, feed: ChangeFeed, access: StreamAccess) {
  return {
    /**
     * Subscribes before reading the current revision, so no change slips between the two; after
     * it resolves, `onRevision` is called with each revision newer than the last one delivered.
     * 429 when the key has too many watches open.
     */
    async watch(auth: AuthContext, slug: string, env: Environment, onRevision: (revision: number) => void): Promise<RevisionWatch> {
      const grant = access.reserve(auth);
      let unsubscribe = (): void => undefined;
      try {
        const scope = await deps.db.transaction().execute(async (trx) => {
          const project = await requireProjectScope(trx, auth, slug);
          authorize(project, 'read', env);
          return withEnvironment(trx, project, env);
        });
        let latest = -1;
        let open = false;
        unsubscribe = feed.subscribe(scope.env.id, (revision) => {
          if (revision <= latest) return;
          latest = revision;
          if (open) onRevision(revision);
        });
        const revision = await readEnvironmentRevision(deps.db, scope.env.id, deps.dialect);
        if (revision === undefined) throw new ServiceError('not_found', `project "${slug}" not found`);
        latest = Math.max(latest, revision);
        open = true;
        grant.start(scope.project.id, env);
        return {
          revision: latest,
          revoked: grant.revoked,
          close: () => {
            unsubscribe();
            grant.release();
          },
        };
      } catch (err) {
        unsubscribe();
        grant.release();
        throw err;
      }
    },
  };
}
export type ChangeFeedService = ReturnType<typeof createChangeFeedService>;
