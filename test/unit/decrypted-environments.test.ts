import { describe, expect, it } from 'vitest';
import { createSubscriberSet } from '../../src/server/services/change-feed.js';
import { createDecryptedEnvironments } from '../../src/server/services/decrypted-environments.js';

// The server's shared decrypted environments: an entry answers only its own (project, environment,
// revision), is dropped when a newer revision is announced, and memory stays bounded.

function feed() {
  const subscribers = createSubscriberSet();
  return { subscribe: subscribers.add, announce: subscribers.emit, watched: subscribers.environmentIds };
}

describe('decrypted environments', () => {
  it('answers only the revision and project it was read at', () => {
    const cache = createDecryptedEnvironments(undefined);
    cache.put('p1', 'e1', 3, { A: 'one' });
    expect(cache.get('p1', 'e1', 3)?.secrets).toEqual({ A: 'one' });
    expect(cache.get('p1', 'e1', 4)).toBeUndefined();
    expect(cache.get('p1', 'e1', 2)).toBeUndefined();
    expect(cache.get('p2', 'e1', 3)).toBeUndefined();
    expect(cache.get('p1', 'e2', 3)).toBeUndefined();
  });

  it('keeps the newer of two revisions read concurrently, and hands out values no caller can change', () => {
    const cache = createDecryptedEnvironments(undefined);
    cache.put('p', 'e', 5, { A: 'new' });
    cache.put('p', 'e', 4, { A: 'old' });
    expect(cache.get('p', 'e', 4)).toBeUndefined();
    const kept = cache.get('p', 'e', 5);
    expect(kept?.secrets).toEqual({ A: 'new' });
    expect(() => {
      (kept?.secrets as Record<string, string>).A = 'changed';
    }).toThrow(TypeError);
  });

  it('drops an entry as soon as the change feed announces a newer revision of its environment', () => {
    const f = feed();
    const cache = createDecryptedEnvironments(f);
    cache.put('p', 'e', 1, { A: 'v1' });
    f.announce('e', 1);
    expect(cache.get('p', 'e', 1)).toBeDefined();
    f.announce('other', 9);
    expect(cache.get('p', 'e', 1)).toBeDefined();
    f.announce('e', 2);
    expect(cache.get('p', 'e', 1)).toBeUndefined();
    expect(cache.size()).toEqual({ entries: 0, bytes: 0 });
    // Nothing left listening for a dropped entry.
    expect(f.watched()).toEqual([]);
  });

  it('is bounded by environments and by bytes, forgetting the least recently read first', () => {
    const cache = createDecryptedEnvironments(undefined, { maxEntries: 2 });
    cache.put('p', 'a', 1, { K: 'a' });
    cache.put('p', 'b', 1, { K: 'b' });
    cache.get('p', 'a', 1);
    cache.put('p', 'c', 1, { K: 'c' });
    expect(cache.get('p', 'a', 1)).toBeDefined();
    expect(cache.get('p', 'b', 1)).toBeUndefined();
    expect(cache.get('p', 'c', 1)).toBeDefined();

    const small = createDecryptedEnvironments(undefined, { maxBytes: 10_000 });
    small.put('p', 'big', 1, { K: 'x'.repeat(20_000) });
    expect(small.get('p', 'big', 1)).toBeUndefined();
    small.put('p', 'x', 1, { K: 'x'.repeat(2_000) });
    small.put('p', 'y', 1, { K: 'y'.repeat(2_000) });
    small.put('p', 'z', 1, { K: 'z'.repeat(2_000) });
    expect(small.get('p', 'x', 1)).toBeUndefined();
    expect(small.get('p', 'z', 1)).toBeDefined();
    expect(small.size().bytes).toBeLessThanOrEqual(10_000);
  });

  it('reports hits and misses, and clear() forgets everything', () => {
    const seen: boolean[] = [];
    const cache = createDecryptedEnvironments(undefined, { onLookup: (hit) => seen.push(hit) });
    cache.get('p', 'e', 1);
    cache.put('p', 'e', 1, { A: '1' });
    cache.get('p', 'e', 1);
    cache.clear();
    cache.get('p', 'e', 1);
    expect(seen).toEqual([false, true, false]);
  });
});
