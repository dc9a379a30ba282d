import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

// Pure value encryption: AES-256-CBC with a fresh IV, stored as `iv:ct` (lowercase hex), plus an
// HMAC-SHA256 tag (encrypt-then-MAC) bound to where the value lives. Keys are always arguments.

export interface DerivedKeys {
  encKey: Buffer;
  macKey: Buffer;
  checkKey: Buffer;
  /** Keys the audit log's HMAC chain: forging an entry needs the master key. */
  auditKey: Buffer;
  /** Derives each browser session's CSRF token from its id (sessions-service). */
  csrfKey: Buffer;
}

/** Where a value is stored; the tag binds the ciphertext to it so rows cannot be swapped. */
export interface ValueContext {
  projectId: string;
  environment: string;
  key: string;
  version: number;
  /**
   * Set for values stored outside the secrets tables (e.g. `change-request:<id>` for a proposed
   * value), so such a ciphertext never verifies as a secret row or in another request.
   */
  purpose?: string;
}

export interface StoredValue {
  value: string;
  tag: string;
}

/** Thrown when a stored value's tag does not verify; the message carries no internals. */
export class IntegrityError extends Error {
  /** `message` may name where the value is stored (key, environment), never anything of the value. */
  constructor(message = 'stored value failed its integrity check') {
    super(message);
    this.name = 'IntegrityError';
  }
}

const HKDF_SALT = Buffer.from('krypt-hkdf-salt-v1', 'utf8');
const INFO_ENC = 'krypt/v1/value-encryption';
const INFO_MAC = 'krypt/v1/value-mac';
const INFO_CHECK = 'krypt/v1/key-check';
const INFO_AUDIT = 'krypt/v1/audit-chain';
const INFO_CSRF = 'krypt/v1/session-csrf';
const KEY_CHECK_LABEL = 'krypt key check v1';
const HEX_IV_CT = /^[0-9a-f]{32}:(?:[0-9a-f]{32})+$/;

function derive(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, info, 32));
}

/** Derives the independent 32-byte keys from the 32-byte master key. */
export function deriveKeys(masterKey: Buffer): DerivedKeys {
  if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  return {
    encKey: derive(masterKey, INFO_ENC),
    macKey: derive(masterKey, INFO_MAC),
    checkKey: derive(masterKey, INFO_CHECK),
    auditKey: derive(masterKey, INFO_AUDIT),
    csrfKey: derive(masterKey, INFO_CSRF),
  };
}

function lengthPrefixed(parts: string[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    chunks.push(len, bytes);
  }
  return Buffer.concat(chunks);
}

/** The HMAC tag (hex) over an unambiguous encoding of the context and the stored `iv:ct`. */
export function computeTag(macKey: Buffer, ctx: ValueContext, stored: string): string {
  const parts = ['krypt-value-v1', ctx.projectId, ctx.environment, ctx.key, String(ctx.version), stored];
  // Secret rows keep the original encoding; other purposes add a labelled field.
  if (ctx.purpose !== undefined) parts.push('purpose', ctx.purpose);
  const data = lengthPrefixed(parts);
  return createHmac('sha256', macKey).update(data).digest('hex');
}

/** Encrypts a plaintext value for the given context; returns the stored form and its tag. */
export function encryptValue(keys: DerivedKeys, ctx: ValueContext, plaintext: string): StoredValue {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', keys.encKey, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const value = `${iv.toString('hex')}:${ct.toString('hex')}`;
  return { value, tag: computeTag(keys.macKey, ctx, value) };
}

/** Whether the stored tag verifies (constant time) and the stored form is well formed. */
export function tagMatches(keys: DerivedKeys, ctx: ValueContext, stored: StoredValue): boolean {
  const expected = Buffer.from(computeTag(keys.macKey, ctx, stored.value), 'hex');
  const actual = /^[0-9a-f]{64}$/.test(stored.tag) ? Buffer.from(stored.tag, 'hex') : Buffer.alloc(0);
  return actual.length === expected.length && timingSafeEqual(actual, expected) && HEX_IV_CT.test(stored.value);
}

/** Verifies the tag in constant time, then decrypts; any mismatch throws IntegrityError. */
export function decryptValue(keys: DerivedKeys, ctx: ValueContext, stored: StoredValue): string {
  if (!tagMatches(keys, ctx, stored)) throw new IntegrityError();
  const [ivHex, ctHex] = stored.value.split(':') as [string, string];
  try {
    const decipher = createDecipheriv('aes-256-cbc', keys.encKey, Buffer.from(ivHex, 'hex'));
    return Buffer.concat([decipher.update(Buffer.from(ctHex, 'hex')), decipher.final()]).toString('utf8');
  } catch {
    throw new IntegrityError();
  }
}

/** The key check value stored at init: proves at start-up that the same master key is in use. */
export function computeKeyCheck(keys: DerivedKeys): string {
  return createHmac('sha256', keys.checkKey).update(KEY_CHECK_LABEL, 'utf8').digest('hex');
}

/** Constant-time comparison of a stored key check with the one the given keys produce. */
export function keyCheckMatches(keys: DerivedKeys, stored: string): boolean {
  const a = Buffer.from(computeKeyCheck(keys), 'hex');
  const b = /^[0-9a-f]{64}$/.test(stored) ? Buffer.from(stored, 'hex') : Buffer.alloc(0);
  return a.length === b.length && timingSafeEqual(a, b);
}
