import { describe, expect, it } from 'vitest';
import { createKeptReads } from '../../src/server/services/kept-reads.js';

// What kept-reads promises whatever the store: a read kept only while the store version holds, a
// read that raced a change never kept, a miss never kept, and no store version means no keeping.

function counter() {
  let loads = 0;
  return { load: (value: object | undefined) => async () => (loads++, value), loads: () => loads };
}

describe('kept reads', () => {
  it('answers from memory while the version holds and loads again once it changes', async () => {
    let version = 1;
    const kept = createKeptReads(() => String(version));
    const c = counter();
    expect(await kept.get('k', c.load({ n: 1 }))).toEqual({ n: 1 });
    expect(await kept.get('k', c.load({ n: 2 }))).toEqual({ n: 1 });
    expect(c.loads()).toBe(1);
    version = 2;
    expect(await kept.get('k', c.load({ n: 3 }))).toEqual({ n: 3 });
    expect(c.loads()).toBe(2);
  });

  it('does not keep what was loaded while the store changed', async () => {
    let version = 1;
    const kept = createKeptReads(() => String(version));
    const stale = async () => {
      const row = { n: 'old' };
      version = 2; // a write commits while the read is in flight
      return row;
    };
    expect(await kept.get('k', stale)).toEqual({ n: 'old' });
    expect(await kept.get('k', async () => ({ n: 'new' }))).toEqual({ n: 'new' });
  });

  it('never keeps a miss, and keeps nothing without a store version', async () => {
    const kept = createKeptReads(() => '1');
    const c = counter();
    await kept.get('unknown', c.load(undefined));
    await kept.get('unknown', c.load(undefined));
    expect(c.loads()).toBe(2);
    const none = createKeptReads(undefined);
    await none.get('k', c.load({ n: 1 }));
    await none.get('k', c.load({ n: 1 }));
    expect(c.loads()).toBe(4);
  });

  it('stays within its bound', async () => {
    const kept = createKeptReads(() => '1', 3);
    const c = counter();
    for (const k of ['a', 'b', 'c', 'd']) await kept.get(k, c.load({ k }));
    await kept.get('a', c.load({ k: 'a' }));
    expect(c.loads()).toBe(5);
  });
});
