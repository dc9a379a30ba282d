import { MAX_VALUE_BYTES } from '../../contract/names.js';
import { validateKeyName } from '../envfile/keys.js';
import { KryptError } from '../errors.js';

/**
 * Turns `KEY=VALUE` arguments (or one `KEY` plus a value read from stdin) into a map. Errors name
 * the key, never the value.
 */
export function parseAssignments(args: string[], stdinValue: string | undefined): Record<string, string> {
  if (args.length === 0) {
    throw new KryptError('usage', 'name at least one KEY=VALUE', { hint: 'run `krypt set KEY=VALUE` or `krypt set KEY --stdin`' });
  }
  const values: Record<string, string> = {};
  if (stdinValue !== undefined) {
    if (args.length !== 1 || args[0]!.includes('=')) {
      throw new KryptError('usage', 'with --stdin, name exactly one KEY (without =VALUE)', { hint: 'run `krypt set KEY --stdin < file`' });
    }
    values[checkKey(args[0]!)] = checkValue(args[0]!, stdinValue);
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
  return value;
}
