import { hash, randomBytes } from 'node:crypto';
import { API_KEY_PREFIX_LENGTH } from '../../contract/constants.js';

// API tokens: `krypt_` + base64url of 32 random bytes. Only the SHA-256 hex is stored.

export const TOKEN_PREFIX = 'krypt_';

/** Generates a new token with its stored hash and listing prefix. */
export function generateApiToken(): { token: string; hash: string; prefix: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashApiToken(token), prefix: token.slice(0, API_KEY_PREFIX_LENGTH) };
}

/** SHA-256 hex of a token, the only form the database holds (one-shot crypto.hash: a third of createHash's cost, on every request). */
export function hashApiToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export const INVITE_PREFIX = 'kinv_';

/** Generates a one-time invite code (`kinv_` + base64url of 32 random bytes) and its stored hash. */
export function generateInviteCode(): { code: string; hash: string } {
  const code = INVITE_PREFIX + randomBytes(32).toString('base64url');
  return { code, hash: hashApiToken(code) };
}

export const SESSION_TOKEN_PREFIX = 'ksess_';
export const SIGN_IN_CODE_PREFIX = 'ksign_';

/** Generates a browser session's cookie token (`ksess_` + base64url of 32 random bytes) and its stored hash. */
export function generateSessionToken(): { token: string; hash: string } {
  const token = SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashApiToken(token) };
}

/** Generates a one-time sign-in code (`ksign_` + base64url of 32 random bytes) and its stored hash. */
export function generateSignInCode(): { code: string; hash: string } {
  const code = SIGN_IN_CODE_PREFIX + randomBytes(32).toString('base64url');
  return { code, hash: hashApiToken(code) };
}

/** A webhook's Standard Webhooks signing secret (`whsec_` + base64), shown once at creation. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
