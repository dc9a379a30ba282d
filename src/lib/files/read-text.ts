import { readFileSync } from 'node:fs';
import { KryptError } from '../errors.js';
import { decodeUtf8, fileSource, type TextSource } from './text-decoding.js';

/**
 * Reads a UTF-8 file the user named; a missing or unreadable file is a local error naming `label`,
 * and bytes that are not UTF-8 are refused (see decodeUtf8), `locate` saying which key they belong to.
 */
export function readUserFile(path: string, label: string, hint: string, locate?: TextSource['locate']): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KryptError('file_unreadable', code === 'ENOENT' ? `${label} not found` : `cannot read ${label}: ${code}`, { hint });
  }
  return decodeUtf8(bytes, fileSource(label, locate));
}
