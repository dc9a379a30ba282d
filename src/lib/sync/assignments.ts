import { MAX_VALUE_BYTES } from '../../contract/constants.js';
import { validateKeyName } from '../envfile/keys.js';
import { nulValueMessage } from '../envfile/values.js';
import { KryptError } from '../errors.js';
import { decodeUtf8, type TextSource } from '../files/text-decoding.js';

/**
 * Turns `KEY=VALUE` arguments (or one `KEY` plus a value read from stdin, as bytes that must be
 * UTF-8) into a map. Errors name the key, never the value.
 */
export function parseAssignments(args: string[], stdinValue: Uint8Array | undefined): Record<string, string> {
  if (args.length === 0) {
    throw new KryptError('usage', 'name at least one KEY=VALUE', { hint: 'run `krypt set KEY=VALUE` or `krypt set KEY --stdin`' });
  }
  const values: Record<string, string> = {};
  if (stdinValue !== undefined) {
    if (args.length !== 1 || args[0]!.includes('=')) {
      throw new KryptError('usage', 'with --stdin, name exactly one KEY (without =VALUE)', { hint: 'run `krypt set KEY --stdin < file`' });
    }
    const key = checkKey(args[0]!);
    values[key] = checkValue(key, decodeUtf8(stdinValue, stdinSource(key)));
    return values;
  }
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) {
      throw new KryptError('usage', `"${arg}" is not KEY=VALUE`, { hint: `run \`krypt set ${arg}=VALUE\` or \`krypt set ${arg} --stdin\`` });
    }
    const key = checkKey(arg.slice(0, eq));
    values[key] = checkValue(key, arg.slice(eq + 1));
  }
  return values;
}

/** Validates a key name locally, so a typo fails before any network call; returns it. */
export function checkKey(key: string): string {
  validateKeyName(key);
  return key;
}

function checkValue(key: string, value: string): string {
  if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) {
    throw new KryptError('value_too_large', `the value of ${key} is larger than ${MAX_VALUE_BYTES} bytes`, { hint: 'store large files elsewhere and keep a reference in Krypt' });
  }
  if (value.includes('\0')) {
    throw new KryptError('nul_in_value', nulValueMessage([key]), { hint: 'remove the NUL character (store binary data base64-encoded)' });
  }
  return value;
}

function stdinSource(key: string): TextSource {
  return {
    label: 'stdin',
    noun: 'input',
    locate: () => `the value of ${key}`,
    convertHint: (from) =>
      from === undefined ? `convert the value to UTF-8, then run \`krypt set ${key} --stdin\` again` : `convert it first: iconv -f ${from} -t utf-8 FILE | krypt set ${key} --stdin`,
  };
}
