/** Key-level difference between a local and a remote environment; values are compared, never reported. */
export interface EnvDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** Compares `local` against `remote`: added = only local, changed = both with different values, removed = only remote. */
export function diffEnv(local: Record<string, string>, remote: Record<string, string>): EnvDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const key of Object.keys(local).sort()) {
    if (!Object.hasOwn(remote, key)) added.push(key);
    else if (remote[key] !== local[key]) changed.push(key);
  }
  for (const key of Object.keys(remote).sort()) if (!Object.hasOwn(local, key)) removed.push(key);
  return { added, changed, removed };
}

export function isEmptyDiff(diff: EnvDiff): boolean {
  return diff.added.length + diff.changed.length + diff.removed.length === 0;
}

/** One key of a diff between two environments, with the values on each side (to be shown only when revealed). */
export interface DiffEntry {
  key: string;
  change: 'added' | 'changed' | 'removed' | 'unchanged';
  from?: string | null;
  to?: string | null;
}

/** The entries of `diffEnv(to, from)` in the order added, changed, removed, each carrying both values. */
export function diffEntries(from: Record<string, string>, to: Record<string, string>): DiffEntry[] {
  const diff = diffEnv(to, from);
  return [
    ...diff.added.map((key) => ({ key, change: 'added' as const, from: null, to: to[key] ?? null })),
    ...diff.changed.map((key) => ({ key, change: 'changed' as const, from: from[key] ?? null, to: to[key] ?? null })),
    ...diff.removed.map((key) => ({ key, change: 'removed' as const, from: from[key] ?? null, to: null })),
  ];
}
