import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as dotenvParse } from 'dotenv';
import fc from 'fast-check';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { KryptError } from '../../src/lib/errors.js';
import {
  ENV_FORMATS,
  parseEnvFile,
  parseSerialized,
  serializeEnv,
  validateKeyName,
  type EnvFormat,
} from '../../src/lib/envfile/index.js';
import { HARD_VALUES } from '../fixtures/envfile/hard-values.js';
import { parseDockerEnvFile, parseGithubEnv, sourceInSh, startPythonDotenv } from '../fixtures/envfile/readers.js';
import { TRICKY_VALUES } from '../fixtures/envfile/tricky-values.js';

const FIXTURES = new URL('../fixtures/envfile/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'krypt-envfile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// One python-dotenv process for the whole file; without python3-dotenv every env test fails.
const python = startPythonDotenv();
afterAll(() => python.close());

// ---- Arbitraries --------------------------------------------------------------------------------

const keyArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/).filter((k) => k !== '__proto__');
// Characters that break quoting, comments, line handling or YAML typing, plus the delimiter prefix.
const nastyUnit = fc.constantFrom(
  "'", '"', '`', '\\', 'n', 'r', '\n', '\r', '$', '#', ' ', '\t', '=', ':', '\u2028', '\u2029', '\0', '\x01',
  '\u0085', '\uFEFF', '\u00a0', 'é', '🌍', '-', 'y', 'ghadelimiter_', '<<', '{', '[', '&', '*', '!', '|', '>', '~', '0',
  // python-dotenv's escapes (\t \a \v ...), its ${NAME:-default}, dotenvx's $(...), Python-only whitespace
  't', 'a', 'v', '}', '(', 'A', '\x1c',
);
const plainValueArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: nastyUnit, maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);
// Also values wrapped in quotes or ending in a backslash, which readers strip or treat as escapes.
const valueArb = fc.oneof(
  plainValueArb,
  fc.tuple(fc.constantFrom("'", '"', '`', ' '), plainValueArb).map(([q, v]) => `${q}${v}${q}`),
  plainValueArb.map((v) => `${v}\\`),
);
const recordArb = fc.dictionary(keyArb, valueArb, { maxKeys: 5, noNullPrototype: true });

// The key the serializer must name: the first (in output order) whose value it refuses alone.
function offendingKey(record: Record<string, string>, format: EnvFormat): string | undefined {
  return Object.keys(record)
    .sort()
    .find((key) => {
      try {
        serializeEnv({ [key]: record[key] ?? '' }, format);
        return false;
      } catch {
        return true;
      }
    });
}

function expectRefusal(err: unknown, record: Record<string, string>, format: EnvFormat): void {
  expect(err).toBeInstanceOf(KryptError);
  const e = err as KryptError;
  expect(e.code).toBe('format_unrepresentable');
  expect(e.hint).toMatch(/--format json/);
  const key = offendingKey(record, format);
  expect(key).toBeDefined();
  const named = e.message.startsWith(`value of ${key} cannot be written in ${format} format: `) || e.message.startsWith(`${key} cannot`);
  expect(named, e.message).toBe(true);
  // Beyond NUL and CR, which no .env reader keeps, an env refusal says which reader is in the way.
  if (format === 'env' && !/NUL|carriage return/.test(e.message)) expect(e.message).toMatch(/: (npm dotenv|python-dotenv|dotenvx) /);
}

// python-dotenv reads what npm dotenv reads, for each text (one batch: one round trip to Python).
async function expectPythonAgrees(texts: string[], expected: Record<string, string>[]): Promise<void> {
  const read = await python.read(texts);
  texts.forEach((text, i) => expect(read[i], `python-dotenv reading ${JSON.stringify(text)}`).toEqual(expected[i]));
}

const READERS: Record<EnvFormat, (text: string, record: Record<string, string>) => Record<string, string>[]> = {
  env: (text) => [parseEnvFile(text, '.env'), { ...dotenvParse(text) }],
  json: (text) => [JSON.parse(text) as Record<string, string>],
  yaml: (text) => [YAML.parse(text) as Record<string, string>, YAML.parse(text, { version: '1.1' }) as Record<string, string>],
  shell: (text, record) => [sourceInSh(text, Object.keys(record), tmp)],
  docker: (text) => [parseDockerEnvFile(text, false), parseDockerEnvFile(text, true)],
  'github-env': (text) => [parseGithubEnv(text)],
};

// ---- Tests ---------------------------------------------------------------------------------------

describe('serializeEnv golden output', () => {
  const golden: Record<EnvFormat, { file: string; refused: string[] }> = {
    env: { file: 'hard.env', refused: ['DOLLAR'] },
    json: { file: 'hard.json', refused: [] },
    yaml: { file: 'hard.yaml', refused: [] },
    shell: { file: 'hard.sh', refused: [] },
    docker: { file: 'hard.docker.env', refused: ['PEM'] },
    'github-env': { file: 'hard.github-env', refused: [] },
  };

  it.each(ENV_FORMATS)('%s', async (format) => {
    const { file, refused } = golden[format];
    const accepted = Object.fromEntries(Object.entries(HARD_VALUES).filter(([k]) => !refused.includes(k)));
    const text = serializeEnv(accepted, format);
    expect(text.replace(/ghadelimiter_[0-9a-f]{32}/g, 'ghadelimiter_X')).toBe(fixture(file));
    for (const reader of READERS[format](text, accepted)) expect(reader).toEqual(accepted);
    if (format === 'env') await expectPythonAgrees([text], [accepted]);
    for (const key of refused) {
      let err: unknown;
      try {
        serializeEnv({ [key]: HARD_VALUES[key] ?? '' }, format);
      } catch (e) {
        err = e;
      }
      expectRefusal(err, { [key]: HARD_VALUES[key] ?? '' }, format);
    }
  });

  it('lists the formats in a fixed order', () => {
    expect(ENV_FORMATS).toEqual(['env', 'json', 'yaml', 'shell', 'docker', 'github-env']);
  });

  it('writes nothing but an empty document for no values', () => {
    expect(ENV_FORMATS.map((f) => serializeEnv({}, f))).toEqual(['', '{}\n', '{}\n', '', '', '']);
  });

  it('picks a fresh heredoc delimiter that does not occur in the value', () => {
    const a = serializeEnv({ K: 'x\ny' }, 'github-env');
    const b = serializeEnv({ K: 'x\ny' }, 'github-env');
    expect(a).toMatch(/^K<<(ghadelimiter_[0-9a-f]{32})\nx\ny\n\1\n$/);
    expect(a).not.toBe(b);
  });

  it('refuses NODE_OPTIONS for github-env, which the runner would reject', () => {
    expect(() => serializeEnv({ node_options: '--inspect' }, 'github-env')).toThrow(
      expect.objectContaining({ code: 'format_unrepresentable', message: expect.stringMatching(/^node_options cannot/) }),
    );
  });

  it('quotes YAML keys that YAML 1.1 reads as booleans or null', () => {
    expect(serializeEnv({ on: 'a', y: 'b', Null: 'c', ok: 'd' }, 'yaml')).toBe('"Null": "c"\nok: "d"\n"on": "a"\n"y": "b"\n');
  });

  it('avoids block literals the yaml library cannot read back (a line of spaces first)', () => {
    for (const value of [' \n', '  \n\n', ' ']) {
      const text = serializeEnv({ K: value }, 'yaml');
      expect(YAML.parse(text)).toEqual({ K: value });
    }
    expect(serializeEnv({ K: ' \n' }, 'yaml')).toBe('K: "\\ \\n"\n'); // double-quoted, not `|+`
  });

  it('refuses invalid key names before writing anything', () => {
    expect(() => serializeEnv({ 'A.B': 'x' }, 'env')).toThrow(expect.objectContaining({ code: 'invalid_key' }));
  });
});

describe.each(ENV_FORMATS)('serializeEnv round trip: %s', (format) => {
  const runs = format === 'shell' ? 300 : 1500;

  it(`reads back exactly what it wrote, or refuses naming the key${format === 'env' ? ' (npm dotenv and python-dotenv)' : ''}`, async () => {
    await fc.assert(
      fc.asyncProperty(recordArb, async (generated) => {
        // Under sh, prefixed keys keep the test clear of IFS, PATH, PS1 and friends.
        const record = format === 'shell' ? Object.fromEntries(Object.entries(generated).map(([k, v]) => [`K_${k}`, v])) : generated;
        let text: string;
        try {
          text = serializeEnv(record, format);
        } catch (err) {
          expectRefusal(err, record, format);
          return;
        }
        for (const reader of READERS[format](text, record)) expect(reader).toEqual(record);
        if (format === 'env') await expectPythonAgrees([text], [record]);
      }),
      { numRuns: runs },
    );
  }, 60_000);

  it('never puts the value in a refusal', () => {
    const marked = fc.tuple(valueArb, valueArb).map(([a, b]) => `${a}Zq9MARKx${b}`);
    fc.assert(
      fc.property(keyArb, marked, (key, value) => {
        try {
          serializeEnv({ [key]: value }, format);
        } catch (err) {
          expect((err as Error).message).not.toContain('Zq9MARKx');
          expect((err as KryptError).hint).not.toContain('Zq9MARKx');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('serializeEnv refuses only what it must', () => {
  const accepts = (format: EnvFormat, value: string): boolean => {
    try {
      serializeEnv({ K: value }, format);
      return true;
    } catch {
      return false;
    }
  };
  it('holds every value in json and yaml, all but NUL in shell, and all but NUL in env-with-single-quotes', () => {
    // What single quotes hold for every .env reader: no ', no \\, no final \ and no ${...}.
    const singleQuotable = (value: string): boolean =>
      !/['\r]|\\\\|\\$/.test(value) && !/\$\{[^}:]*(?::-[^}]*)?\}/.test(value);
    fc.assert(
      fc.property(valueArb, (value) => {
        expect(accepts('json', value)).toBe(true);
        expect(accepts('yaml', value)).toBe(true);
        expect(accepts('shell', value)).toBe(!value.includes('\0'));
        if (singleQuotable(value)) expect(accepts('env', value)).toBe(!value.includes('\0'));
        expect(accepts('github-env', value)).toBe(!/[\r\0]/.test(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses CR in env, line breaks and quote-wrapped values in docker', () => {
    expect(accepts('env', 'a\rb')).toBe(false);
    expect(accepts('docker', 'a\nb')).toBe(false);
    expect(accepts('docker', "'wrapped'")).toBe(false);
    expect(accepts('docker', '"wrapped"')).toBe(false);
    expect(accepts('docker', `'half`)).toBe(true);
    expect(accepts('docker', 'x'.repeat(70_000))).toBe(false);
  });
});

describe('env format: one file for npm dotenv, python-dotenv and dotenvx', () => {
  // dotenvx is not installed here; by its parser (dotenv's, then expansion), outside single quotes
  // it expands $NAME, ${...} and $(...) and reads \$ as $, and in double quotes \t is a TAB.
  const dotenvxChanges = (quoting: string, value: string): boolean =>
    quoting !== 'single' && (/\\\$|\$[{(A-Za-z_]/.test(value) || (quoting === 'double' && value.includes('\\t')));
  const CANDIDATES = { single: (v: string) => `'${v}'`, double: (v: string) => `"${v}"`, backtick: (v: string) => `\`${v}\``, unquoted: (v: string) => v };
  // Lines after the value that end in each quote catch a quoted value running on past its line.
  const around = (written: string): string => `A='a'\nK=${written}\nQ1=a'\nQ2=a"\nQ3=a\`\n`;
  const aroundValues = (value: string) => ({ A: 'a', K: value, Q1: "a'", Q2: 'a"', Q3: 'a`' });

  // A refused value must be one that every quoting loses in npm dotenv or python-dotenv (as read
  // here) or in dotenvx (by its rules): krypt refuses only what no .env file can carry.
  async function expectNoQuotingWorks(values: string[]): Promise<void> {
    const cases = values.flatMap((value) => Object.entries(CANDIDATES).map(([quoting, quote]) => ({ value, quoting, text: around(quote(value)) })));
    const read = await python.read(cases.map((c) => c.text));
    cases.forEach((c, i) => {
      const expected = aroundValues(c.value);
      const carried = isDeepStrictEqual({ ...dotenvParse(c.text) }, expected) && isDeepStrictEqual(read[i], expected) && !dotenvxChanges(c.quoting, c.value);
      expect(carried, `${c.quoting}: ${JSON.stringify(c.value)} reads back unchanged everywhere, yet is refused`).toBe(false);
    });
  }

  it(`writes each of the ${TRICKY_VALUES.length} tricky values as the table says, or refuses naming the reader`, async () => {
    const written: Record<string, string> = {};
    const refused: string[] = [];
    for (const [key, value, writing] of TRICKY_VALUES) {
      if (typeof writing === 'string') {
        const text = serializeEnv({ [key]: value }, 'env');
        expect(text, key).toBe(`${key}=${CANDIDATES[writing](value)}\n`);
        expect(dotenvParse(text), key).toEqual({ [key]: value });
        written[key] = value;
        continue;
      }
      let err: unknown;
      try {
        serializeEnv({ [key]: value }, 'env');
      } catch (e) {
        err = e;
      }
      expectRefusal(err, { [key]: value }, 'env');
      expect((err as Error).message, key).toContain(writing.refused);
      refused.push(value);
    }
    // All of them in one file, as `krypt pull` writes an environment.
    const text = serializeEnv(written, 'env');
    expect(parseEnvFile(text, '.env')).toEqual(written);
    expect(dotenvParse(text)).toEqual(written);
    const alone = Object.entries(written).map(([key, value]) => ({ [key]: value }));
    await expectPythonAgrees([text, ...alone.map((one) => serializeEnv(one, 'env'))], [written, ...alone]);
    await expectNoQuotingWorks(refused);
  });

  it('refuses only values that no quoting carries through every reader', async () => {
    await fc.assert(
      fc.asyncProperty(valueArb, async (value) => {
        if (/[\0\r]/.test(value)) return; // refused for every .env reader, tested above
        try {
          serializeEnv({ K: value }, 'env');
        } catch {
          await expectNoQuotingWorks([value]);
        }
      }),
      { numRuns: 3000 },
    );
  }, 60_000);

  it('names the key and the reader, never the value', () => {
    expect(() => serializeEnv({ OK: 'x', TEMPLATE: 'Zq9${HOST}' }, 'env')).toThrow(
      expect.objectContaining({
        code: 'format_unrepresentable',
        message:
          'value of TEMPLATE cannot be written in env format: python-dotenv cannot read it back unchanged however it is quoted ' +
          '(it contains a ${...} reference, which python-dotenv expands even in single quotes)',
        hint: 'use --format json or --format yaml, which hold any value',
      }),
    );
  });
});

describe('parseEnvFile', () => {
  it('reads what dotenv reads from a hand-written file', () => {
    const text = [
      '# comment',
      '',
      'export API_URL=https://api.example.com',
      "DB_PASSWORD='p@ss#word'   # trailing comment",
      'EMPTY=',
      'SPACED = value with spaces   ',
      'MULTI="line1',
      'line2"',
      'ESCAPED="a\\nb"',
      'COLON: yaml-style',
      'DUP=first',
      'DUP=second',
      '   # indented comment',
      'AFTER= #only a comment',
    ].join('\n');
    const expected = {
      API_URL: 'https://api.example.com',
      DB_PASSWORD: 'p@ss#word',
      EMPTY: '',
      SPACED: 'value with spaces',
      MULTI: 'line1\nline2',
      ESCAPED: 'a\nb',
      COLON: 'yaml-style',
      DUP: 'second',
      AFTER: '',
    };
    expect(parseEnvFile(text, '.env')).toEqual(expected);
    expect(parseEnvFile(text.replaceAll('\n', '\r\n'), '.env')).toEqual(expected);
    expect(parseEnvFile('', '.env')).toEqual({});
  });

  const SECRET = 'hunter2';
  it.each([
    ['a line without =', `A=1\n${SECRET} and more\nB=2`, 2, 'not a KEY=VALUE line'],
    ['KEY VALUE', `KEY ${SECRET}`, 1, 'not a KEY=VALUE line'],
    ['a stray line after comments', `# c\n\n  # d\nA=1\n\n${SECRET}`, 6, 'not a KEY=VALUE line'],
    ['CRLF line counting', `A=1\r\n\r\n${SECRET}\r\n`, 3, 'not a KEY=VALUE line'],
    ['"export" alone', `export\nY=${SECRET}`, 1, 'runs onto the next line'],
    ['a key alone with = below', `K\n=${SECRET}`, 1, 'runs onto the next line'],
    ['"KEY:" swallowing the next line', `A=1\nKEY:\nB=${SECRET}`, 2, 'runs onto the next line'],
    ['a leading digit', `A=1\n1BAD=${SECRET}`, 2, 'key "1BAD" is not a valid name'],
    ['a dot in the key', `A.B=${SECRET}`, 1, 'key "A.B" is not a valid name'],
    ['a dash in the key', `\nA-B=${SECRET}`, 2, 'key "A-B" is not a valid name'],
    ['__proto__', `__proto__=${SECRET}`, 1, 'key "__proto__" is reserved'],
    ['an unquoted # inside a value', `P=${SECRET}#rest`, 1, 'the value of P contains an unquoted "#"'],
    ['a value starting with #', `P=#${SECRET}`, 1, 'the value of P contains an unquoted "#"'],
  ])('refuses %s, naming the line but not its content', (_name, text, line, reason) => {
    let err: unknown;
    try {
      parseEnvFile(text, 'config/.env');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KryptError);
    const e = err as KryptError;
    expect(e.code).toBe('envfile_malformed');
    expect(e.message.startsWith(`config/.env:${line}: `), e.message).toBe(true);
    expect(e.message).toContain(reason);
    expect(e.message).not.toContain(SECRET);
    expect(e.hint).not.toBe('');
  });

  it('finds every line it did not consume, wherever it is', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('A=1', '# c', '', "Q='x\ny'", 'export E=2'), { maxLength: 6 }), fc.nat(6), (lines, at) => {
        const pos = Math.min(at, lines.length);
        const text = [...lines.slice(0, pos), 'stray words', ...lines.slice(pos)].join('\n');
        const expectedLine = lines.slice(0, pos).join('\n').split('\n').length + (pos === 0 ? 0 : 1);
        expect(() => parseEnvFile(text, 'f')).toThrow(`f:${expectedLine}: not a KEY=VALUE line`);
      }),
    );
  });
});

describe('validateKeyName', () => {
  it.each(['A', '_', 'DATABASE_URL', 'a1_B2', 'X'.repeat(256)])('accepts %s', (key) => {
    expect(() => validateKeyName(key)).not.toThrow();
  });
  it.each(['', '1A', 'A-B', 'A.B', 'A B', 'É', 'X'.repeat(257), '__proto__'])('refuses %j', (key) => {
    expect(() => validateKeyName(key)).toThrow(expect.objectContaining({ code: 'invalid_key' }));
  });
});

describe('parseSerialized (pull --check)', () => {
  const values = { A: 'x', PEM: '-----BEGIN-----\nabc\n-----END-----\n', Q: `it's "q"` };

  it.each(['env', 'json', 'yaml'] as const)('reads back %s', (format) => {
    expect(parseSerialized(serializeEnv(values, format), format)).toEqual(values);
  });

  it.each(['shell', 'docker', 'github-env'] as const)('refuses %s as not checkable', (format) => {
    expect(() => parseSerialized('', format)).toThrow(expect.objectContaining({ code: 'format_not_checkable' }));
  });

  it.each([
    ['json', '{"A": "hunter2", }', 'out.json: not valid JSON'],
    ['json', '{"A": 1}', 'out.json: the value of A is not a string'],
    ['json', '["hunter2"]', 'out.json: expected a map of KEY: value'],
    ['yaml', 'A: "hunter2\nB: [', 'out.json:2: not valid YAML'],
    ['yaml', 'A: 1\n', 'out.json: the value of A is not a string'],
    ['yaml', 'A-B: hunter2\n', 'out.json: key "A-B" is not a valid name'],
  ] as const)('refuses malformed %s without quoting it', (format, text, message) => {
    let err: unknown;
    try {
      parseSerialized(text, format, 'out.json');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'envfile_malformed' });
    expect((err as Error).message.startsWith(message), (err as Error).message).toBe(true);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('reads an empty YAML document as no values', () => {
    expect(parseSerialized('', 'yaml')).toEqual({});
  });
});
