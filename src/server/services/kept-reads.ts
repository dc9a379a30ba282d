// Reads of rows that change rarely and are read on every request (who holds an API key, the
// caller's membership of a project, an environment's row and revision), kept in memory for as
// long as the store says nothing changed. On SQLite that signal is exact and costs one pragma
// (KryptDatabase.storeVersion): any statement of this server that can change rows, or a commit by
// another process, changes it, and the next lookup starts from the database again. So revoking a
// key, removing a member or writing a secret takes effect for the very next request, as if
// nothing were kept. PostgreSQL has no such signal across replicas (the change feed arrives
// later than the next request may), so there nothing is kept.

const MAX_KEPT = 10_000;

/** Reads kept until the store changes; see above. */
export interface KeptReads {
  /**
   * The kept result of `load` under `key`, or `load()`'s (kept when it found something and the
   * store did not change while it ran). A miss is never kept: unknown tokens cannot fill memory.
   */
  get<T extends object>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined>;
}

/** Keeps reads while `storeVersion` returns the same value; without it, every get loads. */
export function createKeptReads(storeVersion: (() => string) | undefined, max = MAX_KEPT): KeptReads {
  if (!storeVersion) return { get: (_key, load) => load() };
  const kept = new Map<string, object>();
  let version = storeVersion();
  const current = (): string => {
    const now = storeVersion();
    if (now !== version) {
      kept.clear();
      version = now;
    }
    return now;
  };
  return {
    async get<T extends object>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
      const before = current();
      const hit = kept.get(key);
      if (hit !== undefined) return hit as T;
      const value = await load();
      // Kept only if nothing changed while it loaded: otherwise it may already be out of date.
      if (value !== undefined && current() === before) {
        if (kept.size >= max) kept.clear();
        kept.set(key, Object.freeze(value));
      }
      return value;
    },
  };
}
