import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envFilePosition, parseEnvFile } from '../../src/lib/envfile/index.js';
import { KryptError } from '../../src/lib/errors.js';
import { decodeUtf8, fileSource, utf16ByteOrder } from '../../src/lib/files/text-decoding.js';
import { parseAssignments } from '../../src/lib/sync/assignments.js';

// Strict decoding of what users hand the CLI, and NUL refusals: errors name where, never what.

const SECRET = 'Zq9MARK';
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

function refusal(fn: () => unknown): KryptError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KryptError);
    return err as KryptError;
  }
  throw new Error('expected a refusal');
}

describe('decodeUtf8', () => {
  const env = fileSource('.env', envFilePosition);

  it('returns UTF-8 text unchanged and strips one byte order mark', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => {
      expect(decodeUtf8(Buffer.from(text), env)).toBe(text);
      expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], text), env)).toBe(text);
    }));
  });

  it('finds the key of a bad byte inside a multi-line quoted value', () => {
    const err = refusal(() => decodeUtf8(bytes(`A=1\nPEM="line one ${SECRET}\nline tw`, [0xf6], '"\nB=2\n'), env));
    expect(err.code).toBe('not_utf8');
    expect(err.message).toBe('.env:3: not valid UTF-8 (in the value of PEM; the file looks like Latin-1/Windows-1252)');
    expect(err.hint).toBe('convert it: iconv -f latin1 -t utf-8 .env > .env.utf8');
  });

  it('names a comment, and says nothing of where when it cannot tell', () => {
    expect(refusal(() => decodeUtf8(bytes('A=1\n# caf', [0xe9], '\n'), env)).message).toBe('.env:2: not valid UTF-8 (in a comment; the file looks like Latin-1/Windows-1252)');
    expect(refusal(() => decodeUtf8(bytes('A=1 # caf', [0xe9], '\n'), env)).message).toBe('.env:1: not valid UTF-8 (in a comment; the file looks like Latin-1/Windows-1252)');
    expect(refusal(() => decodeUtf8(bytes('NAM', [0xc9], '=x\n'), env)).message).toBe('.env:1: not valid UTF-8 (the file looks like Latin-1/Windows-1252)');
  });

  it('says when UTF-8 is mixed with another encoding, and refuses overlongs, surrogates and truncated sequences', () => {
    const mixed = refusal(() => decodeUtf8(bytes('A=café\nB=caf', [0xe9], '\n'), env));
    expect(mixed.message).toBe('.env:2: not valid UTF-8 (in the value of B; the file mixes UTF-8 with another encoding)');
    expect(mixed.hint).toBe('re-save .env as UTF-8 in your editor');
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      expect(refusal(() => decodeUtf8(bytes('K=', bad), env)).message).toMatch(/^\.env:1: not valid UTF-8 \(in the value of K; /);
    }
  });

  it('tells UTF-16 from UTF-8 text that merely holds a NUL', () => {
    expect(utf16ByteOrder(Buffer.from('A=1\nB=2\n', 'utf16le'))).toBe('little-endian');
    expect(utf16ByteOrder(Buffer.from('A=1\nB=2\n', 'utf16le').swap16())).toBe('big-endian');
    expect(utf16ByteOrder(Buffer.from('A=x\0y\nB=2\n'))).toBeUndefined();
    expect(utf16ByteOrder(Buffer.from('A'))).toBeUndefined();
    const err = refusal(() => decodeUtf8(Buffer.from('A=1\n', 'utf16le'), { ...env, noun: 'input', label: 'stdin' }));
    expect(err.message).toBe('stdin: encoded as UTF-16 (little-endian), not UTF-8');
  });
});

describe('NUL characters', () => {
  it('parseEnvFile refuses a NUL in a value, naming file, line and key', () => {
    const err = refusal(() => parseEnvFile(`A=1\nB='${SECRET}\0'\n`, 'x.env'));
    expect(err.message).toBe('x.env:2: the value of B contains a NUL character, which no program can receive in its environment');
    expect(err.message + err.hint).not.toContain(SECRET);
    expect(parseEnvFile('# a NUL in a comment \0 is harmless\nA=1\n', 'x.env')).toEqual({ A: '1' });
  });

  it('set refuses a NUL from arguments and from stdin, naming the key', () => {
    for (const run of [() => parseAssignments([`K=${SECRET}\0`], undefined), () => parseAssignments(['K'], Buffer.from(`${SECRET}\0`))]) {
      const err = refusal(run);
      expect(err.code).toBe('nul_in_value');
      expect(err.message).toBe('the value of K contains a NUL character, which no program can receive in its environment');
      expect(err.message + err.hint).not.toContain(SECRET);
    }
    expect(parseAssignments(['K'], Buffer.from('multi\nline\n'))).toEqual({ K: 'multi\nline\n' });
  });
});
