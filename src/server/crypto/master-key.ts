import { randomBytes } from 'node:crypto';

// Master key text form: exactly 64 hex characters (32 bytes), written lowercase.

/** Generates a fresh random 32-byte master key. */
export function generateMasterKey(): Buffer {
  return randomBytes(32);
}

/** Formats a master key as 64 lowercase hex characters. */
export function formatMasterKey(key: Buffer): string {
  return key.toString('hex');
}

/** Parses the text form of a master key (whitespace trimmed); throws a clear Error otherwise. */
export function parseMasterKeyText(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new Error('the master key is empty; expected 64 hexadecimal characters');
  if (!/^[0-9a-fA-F]*$/.test(trimmed)) {
    throw new Error('the master key must contain only hexadecimal characters (0-9, a-f)');
  }
  if (trimmed.length !== 64) {
    throw new Error(`the master key must be 64 hexadecimal characters (32 bytes); got ${trimmed.length}`);
  }
  return Buffer.from(trimmed.toLowerCase(), 'hex');
}
