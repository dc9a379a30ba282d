import { randomBytes } from 'node:crypto';
import { yaml } from './yaml-loader.js';
import { KryptError } from '../errors.js';
import { quoteEnvValue } from './env-quoting.js';
import { validateKeyName } from './keys.js';

export type EnvFormat = 'env' | 'json' | 'yaml' | 'shell' | 'docker' | 'github-env';

/** Every format `krypt pull --format` accepts, in the order help lists them. */
export const ENV_FORMATS: readonly EnvFormat[] = ['env', 'json', 'yaml', 'shell', 'docker', 'github-env'];

const ANY_VALUE_HINT = 'use --format json or --format yaml, which hold any value';

// The message names the key and the reason; the value itself never appears.
function refuse(key: string, format: EnvFormat, reason: string): never {
  throw new KryptError('format_unrepresentable', `value of ${key} cannot be written in ${format} format: ${reason}`, {
    hint: ANY_VALUE_HINT,
    kind: 'local',
  });
}

const NUL_REASON = 'it contains a NUL character, which environment variables cannot hold';
const CR_REASON = 'it contains a carriage return (\\r), which readers of this format drop or turn into a newline';

// .env for npm dotenv, python-dotenv and dotenvx alike (the rules are in env-quoting.ts); each
// branch is proven by the round-trip tests, which read the output with dotenv and python-dotenv.
function envLine(key: string, value: string): string {
  // parseEnvFile (push, diff) refuses a NUL: a file we could not read back is not written.
  if (value.includes('\0')) refuse(key, 'env', NUL_REASON);
  if (value.includes('\r')) refuse(key, 'env', CR_REASON);
  const quoted = quoteEnvValue(value);
  if ('problem' in quoted) refuse(key, 'env', quoted.problem);
  return `${key}=${quoted.text}`;
}

// POSIX sh: inside single quotes every byte is literal; a ' is closed, escaped and reopened.
function shellLine(key: string, value: string): string {
  if (value.includes('\0')) refuse(key, 'shell', NUL_REASON);
  return `export ${key}='${value.replaceAll("'", "'\\''")}'`;
}

// `docker run --env-file`: everything after the first "=" is the value, up to the end of the line.
// Docker (pkg/kvfile) keeps spaces, but since v28 strips one pair of matching quotes: avoid both readings.
const DOCKER_MAX_LINE_BYTES = 64 * 1024 - 1; // bufio.Scanner's token limit, the newline excluded
function dockerLine(key: string, value: string): string {
  if (value.includes('\0')) refuse(key, 'docker', NUL_REASON);
  if (value.includes('\n') || value.includes('\r')) refuse(key, 'docker', 'it spans several lines, which env-files cannot hold');
  if (value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.endsWith(value[0])) {
    refuse(key, 'docker', 'it starts and ends with the same quote, which newer Docker versions strip');
  }
  const line = `${key}=${value}`;
  if (Buffer.byteLength(line) > DOCKER_MAX_LINE_BYTES) refuse(key, 'docker', 'the line would exceed Docker\'s 64 KiB limit');
  return line;
}

// $GITHUB_ENV as the Actions runner reads it (SetEnvFileCommand): NAME=VALUE for one line, else
// NAME<<DELIM, the value, DELIM. The runner keeps everything before the newline that precedes
// DELIM, so a value ending in "\n" round-trips. It splits on \n (and \r\n on Windows): refuse CR.
function githubEnvLine(key: string, value: string): string {
  if (key.toUpperCase() === 'NODE_OPTIONS') {
    throw new KryptError('format_unrepresentable', `${key} cannot be written in github-env format: the Actions runner refuses to set it from $GITHUB_ENV`, {
      hint: 'set NODE_OPTIONS with a step-level env: block, or leave it out with --only',
      kind: 'local',
    });
  }
  if (value.includes('\0')) refuse(key, 'github-env', NUL_REASON);
  if (value.includes('\r')) refuse(key, 'github-env', CR_REASON);
  if (!value.includes('\n')) return `${key}=${value}`;
  let delimiter: string;
  do delimiter = `ghadelimiter_${randomBytes(16).toString('hex')}`;
  while (value.includes(delimiter));
  return `${key}<<${delimiter}\n${value}\n${delimiter}`;
}

// A key that reads as another type under YAML 1.1 or 1.2 (on, yes, null, true...) is quoted.
function plainYamlKeyOk(key: string): boolean {
  return typeof yaml().parse(key, { version: '1.1' }) === 'string' && typeof yaml().parse(key) === 'string';
}

// What YAML 1.2 and YAML 1.1 readers both make of `text`, as key -> value.
function yamlReadings(text: string): Record<string, unknown>[] {
  return [yaml().parse(text) as unknown, yaml().parse(text, { version: '1.1' }) as unknown].map((data) =>
    typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {},
  );
}

// yaml 2.9.1 writes some block literals it cannot read back (" \n" becomes "\n"): try it alone first.
function blockLiteralOk(value: string): boolean {
  const doc = new (yaml().Document)({ K: value });
  if (yaml().isMap(doc.contents) && yaml().isScalar(doc.contents.items[0]?.value)) doc.contents.items[0].value.type = 'BLOCK_LITERAL';
  return yamlReadings(doc.toString({ lineWidth: 0 })).every((read) => read.K === value);
}

// Single-line values are always double-quoted: plain `yes` or `0o17` means a boolean or a number
// to some YAML readers. Multi-line values use a block literal when it reads back unchanged.
function yamlDocument(sorted: [string, string][]): string {
  const doc = new (yaml().Document)(Object.fromEntries(sorted));
  if (yaml().isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (yaml().isScalar(pair.key)) pair.key.type = plainYamlKeyOk(String(pair.key.value)) ? 'PLAIN' : 'QUOTE_DOUBLE';
      if (yaml().isScalar(pair.value)) {
        const value = String(pair.value.value);
        pair.value.type = value.includes('\n') && blockLiteralOk(value) ? 'BLOCK_LITERAL' : 'QUOTE_DOUBLE';
      }
    }
  }
  const text = doc.toString({ lineWidth: 0 });
  // The library is not ours to trust blindly: refuse rather than hand back a changed value.
  const readings = yamlReadings(text);
  for (const [key, value] of sorted) {
    if (readings.some((read) => read[key] !== value)) refuse(key, 'yaml', 'the YAML library cannot write it so that it reads back unchanged');
  }
  return text;
}

/**
 * Writes `values` in `format`, keys sorted so output is stable. Whatever it returns reads back to
 * exactly `values` (proven by round-trip tests); a value the format cannot hold throws
 * KryptError 'format_unrepresentable' naming the key, never silently changes it.
 */
export function serializeEnv(values: Record<string, string>, format: EnvFormat): string {
  const sorted = Object.keys(values)
    .sort()
    .map((key): [string, string] => [key, values[key] ?? '']);
  for (const [key] of sorted) validateKeyName(key);
  const lines = (write: (key: string, value: string) => string): string =>
    sorted.map(([key, value]) => `${write(key, value)}\n`).join('');
  switch (format) {
    case 'env':
      return lines(envLine);
    case 'shell':
      return lines(shellLine);
    case 'docker':
      return lines(dockerLine);
    case 'github-env':
      return lines(githubEnvLine);
    case 'json':
      return `${JSON.stringify(Object.fromEntries(sorted), null, 2)}\n`;
    case 'yaml':
      return yamlDocument(sorted);
    default: {
      const unknown: never = format;
      throw new KryptError('unknown_format', `unknown format: ${String(unknown)}`, {
        hint: `use one of ${ENV_FORMATS.join(', ')}`,
        kind: 'local',
      });
    }
  }
}
