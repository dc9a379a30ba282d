import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChangeRequestId } from '../../src/cli/change-requests.js';
import { renderChanges, renderTable } from '../../src/cli/render.js';
import { diffEntries, diffEnv } from '../../src/lib/sync/diff.js';

const from = { SAME: 'x', OLD: 'gone', CHANGED: 'before' };
const to = { SAME: 'x', CHANGED: 'after\nline 2', NEW: 'fresh' };

describe('diffEntries', () => {
  it('lists added, changed, removed keys (sorted within each) with both values', () => {
    expect(diffEntries(from, to)).toEqual([
      { key: 'NEW', change: 'added', from: null, to: 'fresh' },
      { key: 'CHANGED', change: 'changed', from: 'before', to: 'after\nline 2' },
      { key: 'OLD', change: 'removed', from: 'gone', to: null },
    ]);
  });

  it('agrees with diffEnv(to, from) on every pair of environments', () => {
    const env = fc.dictionary(fc.constantFrom('A', 'B', 'C', 'D', 'E'), fc.constantFrom('', '1', '2'));
    fc.assert(
      fc.property(env, env, (a, b) => {
        const entries = diffEntries(a, b);
        const d = diffEnv(b, a);
        const keys = (c: string) => entries.filter((e) => e.change === c).map((e) => e.key);
        expect({ added: keys('added'), changed: keys('changed'), removed: keys('removed') }).toEqual(d);
        expect(entries.length === 0).toBe(JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort()));
      }),
    );
  });
});

describe('renderChanges', () => {
  it('masks values by default', () => {
    const text = renderChanges(diffEntries(from, to), false);
    expect(text).toBe('+ NEW\n~ CHANGED\n- OLD\n');
    for (const v of ['before', 'after', 'gone', 'fresh']) expect(text).not.toContain(v);
  });

  it('shows JSON-quoted values with reveal, one line per key', () => {
    expect(renderChanges(diffEntries(from, to), true)).toBe(['+ NEW="fresh"', '~ CHANGED: "before" -> "after\\nline 2"', '- OLD="gone"', ''].join('\n'));
  });

  it('marks a proposed no-op and an unknown value', () => {
    expect(renderChanges([{ key: 'K', change: 'unchanged' }], false)).toBe('= K\n');
    expect(renderChanges([{ key: 'K', change: 'changed', from: null, to: 'v' }], true)).toBe('~ K: (unknown) -> "v"\n');
  });
});

describe('renderTable', () => {
  it('keeps a tab or newline inside a cell from breaking TSV rows', () => {
    expect(renderTable(['a', 'b'], [['x\ty', 'line\nbreak']], false)).toBe('x y\tline break\n');
  });
});

describe('parseChangeRequestId', () => {
  it('accepts 3 and #3, refuses the rest', () => {
    expect(parseChangeRequestId('3')).toBe(3);
    expect(parseChangeRequestId('#12')).toBe(12);
    for (const bad of ['0', 'x', '-1', '1.5', '']) expect(() => parseChangeRequestId(bad)).toThrow(/change request number/);
  });
});
