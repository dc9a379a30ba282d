import { KEY_PATTERN, MAX_KEY_LENGTH } from '../../contract/constants.js';
import { KryptError } from '../errors.js';

// Portable environment variable names (the contract's KEY_PATTERN): what every shell, Docker and the Actions runner accept.
export { KEY_PATTERN, MAX_KEY_LENGTH };

// A key is printed in messages only once shortened: names are not secret, but they may be long.
function displayKey(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
}

/** Why `key` is not an acceptable variable name, or undefined when it is (shared by parse and serialize). */
export function keyNameProblem(key: string): string | undefined {
  if (key.length === 0) return 'key name is empty';
  if (key.length > MAX_KEY_LENGTH) return `key ${displayKey(key)} is longer than ${MAX_KEY_LENGTH} characters`;
  if (!KEY_PATTERN.test(key)) {
    return `key ${displayKey(key)} is not a valid name: use letters, digits and _, not starting with a digit`;
  }
  // A plain object cannot hold it as an own property (dotenv silently drops it): refuse it loudly.
  if (key === '__proto__') return 'key "__proto__" is reserved';
  return undefined;
}

/** Throws KryptError 'invalid_key' unless `key` matches KEY_PATTERN and the length limit. */
export function validateKeyName(key: string): void {
  const problem = keyNameProblem(key);
  if (problem !== undefined) {
    throw new KryptError('invalid_key', problem, {
      hint: 'rename it, e.g. DATABASE_URL (letters, digits and _)',
      kind: 'local',
    });
  }
}
