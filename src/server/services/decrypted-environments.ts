import type { ChangeFeed } from './change-feed.js';

// Decrypted environments shared between requests: one HMAC check and decipher per value per
// (environment, revision), not per read. An environment's values at a revision never change (every
// write, approval and rollback moves the revision), so an entry is right for exactly the revision it
// was read at, on every replica; a request asks for the revision it read under its transaction and
// gets nothing for any other. Entries are dropped as soon as a newer revision is heard of (a write
// here, or the change feed, which on PostgreSQL carries other replicas' writes), so memory holds no
// superseded values. Bounded: at most `maxEntries` environments and `maxBytes` of keys and values
// (least recently read dropped first). An entry is bound to its project as well as its environment
// id; a read with a damaged row is not kept (the damage is reported on every read).

export interface DecryptedEnvironment {
  secrets: Readonly<Record<string, string>>;
  /** How many keys `secrets` holds (counted once, not on every read). */
  keyCount: number;
}

export interface DecryptedEnvironmentsOptions {
  /** Environments kept at once (default 1000). */
  maxEntries?: number;
  /** Total UTF-16 size of the keys and values kept, in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Heard of after each lookup (metrics). */
  onLookup?: (hit: boolean) => void;
}

export interface DecryptedEnvironments {
  /** The environment's values at `revision`, if this process read them since. */
  get(projectId: string, environmentId: string, revision: number): DecryptedEnvironment | undefined;
  /** Keeps the values read at `revision`, unless the entry kept is as new. */
  put(projectId: string, environmentId: string, revision: number, secrets: Record<string, string>): void;
  /** Forgets the environment (a write moved it past what is kept). */
  drop(environmentId: string): void;
  /** Forgets everything (master key rotation, shutdown). */
  clear(): void;
  /** Environments and bytes kept (tests, metrics). */
  size(): { entries: number; bytes: number };
}

interface Entry {
  projectId: string;
  revision: number;
  value: DecryptedEnvironment;
  bytes: number;
  unsubscribe: () => void;
}

function measure(secrets: Record<string, string>): { bytes: number; keyCount: number } {
  let bytes = 0;
  let keyCount = 0;
  for (const key in secrets) {
    bytes += 2 * (key.length + (secrets[key] as string).length) + 64;
    keyCount++;
  }
  return { bytes, keyCount };
}

/** Creates the cache; with `feed`, an entry is dropped when the feed announces a newer revision of its environment. */
export function createDecryptedEnvironments(feed: Pick<ChangeFeed, 'subscribe'> | undefined, opts: DecryptedEnvironmentsOptions = {}): DecryptedEnvironments {
  const maxEntries = opts.maxEntries ?? 1000;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  // Map order = recency of the last read (re-inserted on each hit), so the first key is the oldest.
  const entries = new Map<string, Entry>();
  let bytes = 0;

  function remove(environmentId: string): void {
    const entry = entries.get(environmentId);
    if (!entry) return;
    entries.delete(environmentId);
    bytes -= entry.bytes;
    entry.unsubscribe();
  }

  return {
    get(projectId, environmentId, revision) {
      const entry = entries.get(environmentId);
      const hit = entry !== undefined && entry.revision === revision && entry.projectId === projectId;
      opts.onLookup?.(hit);
      if (!hit) return undefined;
      entries.delete(environmentId);
      entries.set(environmentId, entry);
      return entry.value;
    },
    put(projectId, environmentId, revision, secrets) {
      const known = entries.get(environmentId);
      if (known && known.revision >= revision) return;
      remove(environmentId);
      const { bytes: size, keyCount } = measure(secrets);
      if (size > maxBytes) return;
      const unsubscribe = feed
        ? feed.subscribe(environmentId, (heard) => {
            if (heard > revision) remove(environmentId);
          })
        : () => undefined;
      entries.set(environmentId, { projectId, revision, value: { secrets: Object.freeze(secrets), keyCount }, bytes: size, unsubscribe });
      bytes += size;
      while (entries.size > maxEntries || bytes > maxBytes) remove(entries.keys().next().value as string);
    },
    drop: remove,
    clear() {
      for (const id of [...entries.keys()]) remove(id);
    },
    size: () => ({ entries: entries.size, bytes }),
  };
}
