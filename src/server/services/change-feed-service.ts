import type { Environment } from '../../contract/index.js';
import { readEnvironmentRevision } from '../store/projects-store.js';
import { authorize, requireProjectScope, withEnvironment } from './access.js';
import type { ChangeFeed } from './change-feed.js';
import { ServiceError } from './service-error.js';
import type { AuthContext, ServiceDeps } from './service-deps.js';

/** An open watch on one environment. */
export interface RevisionWatch {
  /** The environment's revision when the watch opened (send it first). */
  revision: number;
  /** Stops delivering revisions. */
  close(): void;
}

/**
 * Creates the service behind the change stream. Watching is authorized like a bulk read (members
 * and up, a service token for its own environment) and is not audited: only revision numbers
 * flow, and the reads a watcher makes when one changes are audited as usual.
 */
export function createChangeFeedService(deps: ServiceDeps, feed: ChangeFeed) {
  return {
    /**
     * Subscribes before reading the current revision, so no change slips between the two; after
     * it resolves, `onRevision` is called with each revision newer than the last one delivered.
     */
    async watch(auth: AuthContext, slug: string, env: Environment, onRevision: (revision: number) => void): Promise<RevisionWatch> {
      const scope = await deps.db.transaction().execute(async (trx) => {
        const project = await requireProjectScope(trx, auth, slug);
        authorize(project, 'read', env);
        return withEnvironment(trx, project, env);
      });
      let latest = -1;
      let open = false;
      const unsubscribe = feed.subscribe(scope.env.id, (revision) => {
        if (revision <= latest) return;
        latest = revision;
        if (open) onRevision(revision);
      });
      try {
        const revision = await readEnvironmentRevision(deps.db, scope.env.id, deps.dialect);
        if (revision === undefined) throw new ServiceError('not_found', `project "${slug}" not found`);
        latest = Math.max(latest, revision);
      } catch (err) {
        unsubscribe();
        throw err;
      }
      open = true;
      return { revision: latest, close: unsubscribe };
    },
  };
}
export type ChangeFeedService = ReturnType<typeof createChangeFeedService>;
