import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENV_FORMATS, serializeEnv } from '../../src/lib/envfile/index.js';
import { readEnvFile } from '../../src/lib/envfile/parse.js';
import { writtenKeys } from '../../src/lib/envfile/read-keys.js';
import { overwriteLoss } from '../../src/lib/sync/overwrite.js';

// What `krypt pull` would drop by replacing a file: proven against the serializer's own output.

const keyArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((k) => k !== '__proto__');
const valueArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: fc.constantFrom("'", '\\', '\n', '=', '<', 'x', ' ', '#'), maxLength: 10 }));
const recordArb = fc.dictionary(keyArb, valueArb, { maxKeys: 5, noNullPrototype: true });

function serialized(record: Record<string, string>, format: (typeof ENV_FORMATS)[number]): string | undefined {
  try {
    return serializeEnv(record, format);
  } catch {
    return undefined;
  }
}

describe('overwriteLoss', () => {
  it.each(ENV_FORMATS)('finds nothing to lose in its own %s output, and every key the server lacks', (format) => {
    fc.assert(
      fc.property(recordArb, keyArb, (record, dropped) => {
        const text = serialized(record, format);
        if (text === undefined) return;
        expect(overwriteLoss(Buffer.from(text), format, record, 'f')).toBeUndefined();
        if (!Object.hasOwn(record, dropped)) return;
        const { [dropped]: _gone, ...remote } = record;
        expect(overwriteLoss(Buffer.from(text), format, remote, 'f')).toEqual({ localOnlyKeys: [dropped], comments: 0, exportPrefixes: [] });
      }),
      { numRuns: format === 'yaml' ? 200 : 500 },
    );
  });

  it('counts comment lines and trailing comments, and export prefixes once per key', () => {
    const read = readEnvFile("# top\nexport A=1\nB='x#y' # after\nexport A=2\n  # indented\nC=3\n", '.env');
    expect(read).toEqual({ values: { A: '2', B: 'x#y', C: '3' }, comments: 3, exported: ['A', 'A'] });
    expect(overwriteLoss(Buffer.from("# top\nexport A=1\nexport A=2\n"), 'env', { A: 'z' }, '.env')).toEqual({ localOnlyKeys: [], comments: 1, exportPrefixes: ['A'] });
  });

  it('counts an unreadable file as lost, naming why but never its content', () => {
    const loss = overwriteLoss(Buffer.concat([Buffer.from('A=caf'), Buffer.from([0xe9])]), 'env', {}, '.env');
    expect(loss?.unreadable).toBe('.env:1: not valid UTF-8 (in the value of A; the file looks like Latin-1/Windows-1252)');
    expect(overwriteLoss(Buffer.from('{"A": "hunter2"'), 'json', {}, 'a.json')?.unreadable).toBe('a.json: not valid JSON');
  });
});

describe('writtenKeys', () => {
  it.each(['shell', 'docker', 'github-env'] as const)('reads the keys of anything serializeEnv writes in %s', (format) => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const text = serialized(record, format);
        if (text !== undefined) expect(writtenKeys(text, format, 'f')).toEqual(Object.keys(record).sort());
      }),
      { numRuns: 1000 },
    );
  });

  it.each(['docker', 'github-env'] as const)('reads a %s value holding U+2028 or U+2029 (line separators to a regex, not to the file)', (format) => {
    const record = { A: 'one\u2028two', B: '\u2029' };
    expect(writtenKeys(serializeEnv(record, format), format, 'f')).toEqual(['A', 'B']);
  });

  it.each([
    ['shell', "export A='1'\n# mine\n", 2],
    ['shell', "export A='unterminated\n", 1],
    ['docker', 'A=1\n\nB=2\n', 2],
    ['docker', 'A<<EOF\nx\nEOF\n', 1],
    ['github-env', 'A<<EOF\nx\n', 1],
    ['github-env', 'A=1\n# note\n', 2],
  ] as const)('refuses a %s file with a line it does not write: %j', (format, text, line) => {
    expect(() => writtenKeys(text, format, 'f')).toThrow(`f:${line}: not a line \`krypt pull --format ${format}\` writes`);
  });
});
