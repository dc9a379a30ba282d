import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMasker, createMaskStream, maskableValues } from '../../src/lib/mask/index.js';

// ---- Reference: the whole buffer at once, one plain alternation sorted by byte length ---------------

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function referenceMask(text: Buffer, values: readonly string[], replacement = '*****'): Buffer {
  const kept = [...new Set(values.filter((v) => [...v].length > 3))]
    .map((v) => Buffer.from(v, 'utf8').toString('latin1'))
    .sort((a, b) => b.length - a.length);
  if (kept.length === 0) return text;
  const regex = new RegExp(kept.map(escapeRegExp).join('|'), 'g');
  const mask = Buffer.from(replacement, 'utf8').toString('latin1');
  return Buffer.from(text.toString('latin1').replace(regex, () => mask), 'latin1');
}

function split(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(buf.subarray(start, p));
    start = p;
  }
  chunks.push(buf.subarray(start));
  return chunks;
}

function maskChunks(values: readonly string[], chunks: readonly Buffer[], replacement?: string): Buffer {
  const masker = createMasker(values, replacement);
  return Buffer.concat([...chunks.map((c) => masker.transform(c)), masker.flush()]);
}

// ---- Arbitraries ------------------------------------------------------------------------------------

// A small alphabet so values overlap, contain each other and share prefixes with the filler text;
// multi-byte characters so chunk boundaries fall inside code points.
const unit = fc.constantFrom('a', 'b', 'c', '-', '.', '$', '\n', 'é', '€', '🌍', '\u0000');
const valueArb = fc.string({ unit, minLength: 0, maxLength: 9 });
const caseArb = fc
  .record({
    values: fc.array(valueArb, { minLength: 1, maxLength: 8 }),
    pieces: fc.array(fc.oneof(fc.nat(), fc.string({ unit, maxLength: 6 })), { maxLength: 25 }),
    cuts: fc.array(fc.nat(), { maxLength: 12 }),
  })
  .map(({ values, pieces, cuts }) => {
    // A piece is either filler text or a reference to one of the values.
    const text = pieces.map((p) => (typeof p === 'number' ? (values[p % values.length] as string) : p)).join('');
    return { values, input: Buffer.from(text, 'utf8'), cuts };
  });

// ---- Tests ----------------------------------------------------------------------------------------------

describe('createMasker', () => {
  it('equals a whole-buffer replace for random values and random chunkings', () => {
    fc.assert(
      fc.property(caseArb, ({ values, input, cuts }) => {
        expect(maskChunks(values, split(input, cuts))).toEqual(referenceMask(input, values));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals the reference when fed one byte at a time', () => {
    fc.assert(
      fc.property(caseArb, ({ values, input }) => {
        const bytes = [...input].map((b) => Buffer.from([b]));
        expect(maskChunks(values, bytes)).toEqual(referenceMask(input, values));
      }),
      { numRuns: 500 },
    );
  });

  it('emits a prefix of the final output after every chunk, holding back less than the longest value', () => {
    fc.assert(
      fc.property(caseArb, ({ values, input, cuts }) => {
        const expected = referenceMask(input, values);
        const kept = maskableValues(values);
        const longest = Math.max(0, ...kept.map((v) => Buffer.byteLength(v)));
        const masker = createMasker(values);
        let out = Buffer.alloc(0);
        let seen = 0;
        for (const chunk of split(input, cuts)) {
          out = Buffer.concat([out, masker.transform(chunk)]);
          seen += chunk.length;
          expect(expected.subarray(0, out.length)).toEqual(out);
          // What is still held back is a tail of the input shorter than the longest value.
          const unmaskedSoFar = referenceMask(input.subarray(0, seen), values);
          expect(unmaskedSoFar.length - out.length).toBeLessThanOrEqual(Math.max(0, longest - 1));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('masks a value split across two chunks at every position, and across three', () => {
    const value = 'sk_live_Zx9€-🌍-tail';
    const input = Buffer.from(`before ${value} between ${value}after`, 'utf8');
    const expected = Buffer.from('before ***** between *****after', 'utf8');
    for (let i = 0; i <= input.length; i++) {
      expect(maskChunks([value], [input.subarray(0, i), input.subarray(i)])).toEqual(expected);
      for (let j = i; j <= input.length; j += 3) {
        expect(maskChunks([value], [input.subarray(0, i), input.subarray(i, j), input.subarray(j)])).toEqual(expected);
      }
    }
  });

  it('masks unicode values split in the middle of a code point', () => {
    const values = ['🌍🌍🌍🌍', 'ключ-секрет', '秘密の鍵です'];
    for (const value of values) {
      const bytes = Buffer.from(`[${value}]`, 'utf8');
      for (let i = 0; i <= bytes.length; i++) {
        expect(maskChunks(values, [bytes.subarray(0, i), bytes.subarray(i)]).toString('utf8')).toBe('[*****]');
      }
      const oneByteEach = [...bytes].map((b) => Buffer.from([b]));
      expect(maskChunks(values, oneByteEach).toString('utf8')).toBe('[*****]');
    }
  });

  it('masks a value containing another as a whole, and the contained one on its own', () => {
    const values = ['secret', 'my-secret-token'];
    const input = Buffer.from('my-secret-token / secret / my-secret-tok', 'utf8');
    expect(maskChunks(values, [input]).toString()).toBe('***** / ***** / my-*****-tok');
    for (let i = 0; i <= input.length; i++) {
      expect(maskChunks(values, [input.subarray(0, i), input.subarray(i)]).toString()).toBe('***** / ***** / my-*****-tok');
    }
  });

  it('resolves overlapping values leftmost first', () => {
    expect(maskChunks(['abcdef', 'defghi'], [Buffer.from('xabcdefghix')]).toString()).toBe('x*****ghix');
    expect(maskChunks(['abcd', 'abcdef'], [Buffer.from('abcde'), Buffer.from('f abcdx')]).toString()).toBe('***** *****x');
  });

  it('leaves values of 3 characters or fewer, and empty values, untouched', () => {
    const input = Buffer.from('abc é€ ééé  xyz', 'utf8');
    // 'é€' is 5 bytes but 2 characters; 'ééé' is 6 bytes but 3 characters.
    expect(maskChunks(['abc', '', 'é€', 'ééé', 'xy'], [input])).toEqual(input);
    expect(maskChunks(['éééé'], [Buffer.from('éééé', 'utf8')]).toString()).toBe('*****');
    expect(maskableValues(['abc', '', 'abcd', 'abcd', 'ééé', 'éééé'])).toEqual(['abcd', 'éééé']);
  });

  it('passes chunks through unchanged and immediately when nothing is maskable', () => {
    const masker = createMasker(['ab', '']);
    const chunk = Buffer.from('hello ab');
    expect(masker.transform(chunk)).toBe(chunk);
    expect(masker.flush().length).toBe(0);
  });

  it('holds back only a tail that could begin a value', () => {
    const masker = createMasker(['password123']);
    expect(masker.transform(Buffer.from('Enter: ')).toString()).toBe('Enter: ');
    expect(masker.transform(Buffer.from('x pass')).toString()).toBe('x ');
    expect(masker.transform(Buffer.from('port\n')).toString()).toBe('passport\n');
    expect(masker.transform(Buffer.from('password1')).toString()).toBe('');
    expect(masker.transform(Buffer.from('23!')).toString()).toBe('*****!');
    expect(masker.transform(Buffer.from('passwo')).toString()).toBe('');
    expect(masker.flush().toString()).toBe('passwo');
  });

  it('inserts the replacement literally, whatever it contains', () => {
    const input = Buffer.from('a=hunter22 b=hunter22', 'utf8');
    expect(maskChunks(['hunter22'], [input], '$&[🔒]$1').toString()).toBe('a=$&[🔒]$1 b=$&[🔒]$1');
  });

  it('keeps bytes that are not valid UTF-8 as they are', () => {
    const input = Buffer.from([0xff, 0xfe, 0x41, 0x42, 0x43, 0x44, 0xc3, 0x00, 0x80]);
    expect(maskChunks(['ABCD'], [input.subarray(0, 4), input.subarray(4)])).toEqual(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('*****'), Buffer.from([0xc3, 0x00, 0x80])]),
    );
  });

  it('handles 500 values over megabytes of output in large chunks (a property, not a timing)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-é'), minLength: 4, maxLength: 40 }), {
          minLength: 500,
          maxLength: 500,
        }),
        fc.integer({ min: 1, max: 1 << 16 }),
        fc.nat(),
        (values, chunkSize, seed) => {
          const lines: string[] = [];
          let size = 0;
          for (let i = 0; size < 2_000_000; i++) {
            const line = `${i} log line ${(seed + i) % 97} ${i % 13 === 0 ? (values[(seed + i) % values.length] as string) : 'ok'}\n`;
            lines.push(line);
            size += line.length;
          }
          const input = Buffer.from(lines.join(''), 'utf8');
          const chunks: Buffer[] = [];
          for (let i = 0; i < input.length; i += chunkSize) chunks.push(input.subarray(i, i + chunkSize));
          expect(maskChunks(values, chunks).equals(referenceMask(input, values))).toBe(true);
        },
      ),
      { numRuns: 3, endOnFailure: true },
    );
  });
});

describe('createMaskStream', () => {
  it('masks a piped stream of buffers and strings, flushing the held tail at the end', async () => {
    const values = ['s3cr3t-value', 'tok€n-🌍'];
    const input = Buffer.from('x s3cr3t-value y tok€n-🌍 z s3cr3t-val', 'utf8');
    const chunks: (Buffer | string)[] = [...split(input, [3, 9, 20, 23, 30]), ' end tok€n-🌍'];
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(chunks, { objectMode: false }).pipe(createMaskStream(values))) {
      out.push(chunk as Buffer);
    }
    expect(Buffer.concat(out).toString('utf8')).toBe('x ***** y ***** z s3cr3t-val end *****');
  });
});
