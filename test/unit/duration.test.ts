import { describe, expect, it } from 'vitest';
import { KryptError } from '../../src/lib/errors.js';
import { parseDuration, parseSince } from '../../src/lib/time/duration.js';

describe('parseDuration', () => {
  it.each([
    ['45s', 45],
    ['90m', 5400],
    ['12h', 43_200],
    ['30d', 2_592_000],
    ['2w', 1_209_600],
    [' 7D ', 604_800],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '30', 'd', '1.5h', '-3d', '3 days', '3y', '10dd', '0d'])('refuses %j with a usage error naming the flag', (text) => {
    let error: unknown;
    try {
      parseDuration(text, '--expires');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KryptError);
    const k = error as KryptError;
    expect(k.exitCode).toBe(1);
    expect(k.message).toContain('--expires');
    expect(k.hint).toMatch(/30d/);
  });
});

describe('parseSince', () => {
  const now = new Date('2025-03-10T12:00:00.000Z');
  it('turns a duration into a time that long before now', () => {
    expect(parseSince('24h', now)).toBe('2025-03-09T12:00:00.000Z');
    expect(parseSince('7d', now)).toBe('2025-03-03T12:00:00.000Z');
  });
  it('accepts ISO dates and times', () => {
    expect(parseSince('2025-01-31', now)).toBe('2025-01-31T00:00:00.000Z');
    expect(parseSince('2025-01-31T08:30:00+01:00', now)).toBe('2025-01-31T07:30:00.000Z');
  });
  it('refuses anything else', () => {
    expect(() => parseSince('yesterday', now)).toThrow(/neither a duration nor a date/);
    expect(() => parseSince('2025-13-45', now)).toThrow(KryptError);
  });
});
