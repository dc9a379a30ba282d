import { readFileSync } from 'node:fs';
import { KryptError } from '../errors.js';

/** Reads a UTF-8 file the user named; a missing or unreadable file is a local error naming `label`. */
export function readUserFile(path: string, label: string, hint: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KryptError('file_unreadable', code === 'ENOENT' ? `${label} not found` : `cannot read ${label}: ${code}`, { hint });
  }
}
