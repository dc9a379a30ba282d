import { randomBytes } from 'node:crypto';

// 32 bytes in unpadded base64url is exactly 43 characters.
const KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;

/** A fresh 32-byte cache key, base64url, for the caller to persist in the credential store. */
export function newCacheKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The cache key kept in the config, or undefined when there is none. A malformed key also gives
 * undefined: the caller then stores a new one, and copies sealed with the old key read as
 * `cache_corrupt` until rewritten (or `krypt cache clear`); a broken key must not block `krypt run`.
 */
export function cacheKeyFromConfig(config: { cacheKey?: string }): Buffer | undefined {
  const text = config.cacheKey;
  if (typeof text !== 'string' || !KEY_TEXT.test(text)) return undefined;
  const key = Buffer.from(text, 'base64url');
  return key.length === 32 ? key : undefined;
}
