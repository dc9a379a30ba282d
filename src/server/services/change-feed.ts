import type { Kysely } from 'kysely';
import { readEnvironmentRevision } from '../store/projects-store.js';
import type { DB, Executor } from '../store/schema.js';

// The change feed: which environment moved to which revision, heard only after the write commits.
// SQLite (one process per data directory) fans out in process; PostgreSQL goes through
// LISTEN/NOTIFY so every replica hears every write (change-feed-postgres.ts).

/** The write side, called by the one write path inside its transaction. */
export interface ChangePublisher {
  /**
   * Announces that `environmentId` reaches `revision` when `trx` commits. Subscribers hear it only
   * after the commit, and never for a transaction that rolls back.
   */
  published(trx: Executor, environmentId: string, revision: number): Promise<void>;
}

/** Receives an environment's revisions; may hear one more than once or out of order, so compare. */
export type RevisionListener = (revision: number) => void;

/** Publishing, subscribing, and shutting the feed down. */
export interface ChangeFeed extends ChangePublisher {
  /** Calls `listener` with each revision announced for `environmentId`; returns the unsubscribe function. */
  subscribe(environmentId: string, listener: RevisionListener): () => void;
  /** Drops every subscriber and releases the feed's connection, if any. */
  close(): Promise<void>;
}

/** Local subscribers by environment id. */
export interface SubscriberSet {
  add(environmentId: string, listener: RevisionListener): () => void;
  emit(environmentId: string, revision: number): void;
  /** Environment ids with at least one subscriber. */
  environmentIds(): string[];
  clear(): void;
}

/** Creates the local fan-out shared by both feeds; one throwing listener does not starve the rest. */
export function createSubscriberSet(onListenerError: (err: unknown) => void = () => undefined): SubscriberSet {
  const byEnv = new Map<string, Set<RevisionListener>>();
  return {
    add(environmentId, listener) {
      let set = byEnv.get(environmentId);
      if (!set) byEnv.set(environmentId, (set = new Set()));
      // Wrapped, so that the same function subscribed twice is two subscriptions.
      const entry: RevisionListener = (rev) => listener(rev);
      set.add(entry);
      return () => {
        set.delete(entry);
        if (set.size === 0 && byEnv.get(environmentId) === set) byEnv.delete(environmentId);
      };
    },
    emit(environmentId, revision) {
      for (const listener of [...(byEnv.get(environmentId) ?? [])]) {
        try {
          listener(revision);
        } catch (err) {
          onListenerError(err);
        }
      }
    },
    environmentIds: () => [...byEnv.keys()],
    clear: () => byEnv.clear(),
  };
}

/**
 * The SQLite feed. SQLite has one connection, which the writing transaction holds until it commits
 * or rolls back; a read queued on it from `published` therefore runs after that and sees the
 * committed revision (the old one after a rollback, which subscribers drop as not newer).
 */
export function createLocalChangeFeed(db: Kysely<DB>, onError: (err: unknown) => void = () => undefined): ChangeFeed {
  const subscribers = createSubscriberSet(onError);
  let closed = false;
  return {
    async published(_trx, environmentId) {
      void readEnvironmentRevision(db, environmentId, 'sqlite').then((revision) => {
        if (!closed && revision !== undefined) subscribers.emit(environmentId, revision);
      }, onError);
    },
    subscribe: (environmentId, listener) => subscribers.add(environmentId, listener),
    async close() {
      closed = true;
      subscribers.clear();
    },
  };
}
