import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KryptError } from '../errors.js';
import { isAtomicTempName, removeAbandonedTemps, writeFileAtomic } from '../files/atomic-write.js';

/** An environment as last read from the server, kept for offline use. */
export interface CachedEnvironment {
  apiUrl: string;
  project: string;
  environment: string;
  revision: number;
  secrets: Record<string, string>;
  /** ISO 8601 time of the read the copy comes from. */
  savedAt: string;
}

// File format, version 1: one line of JSON, exactly `{"v":1,"iv":I,"tag":T,"ct":C}` + "\n", where
// I, T, C are standard base64 of the 12-byte IV, the 16-byte GCM tag and the AES-256-GCM ciphertext
// of JSON.stringify(CachedEnvironment). The AAD is the identity string `apiUrl\0project\0environment`
// whose SHA-256 names the file, so a copy renamed to another project's name fails authentication.
// Anything but the canonical form is rejected, so every changed byte is detected.
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const COPY_NAME = /^[0-9a-f]{64}\.bin$/;

/** The directory holding the copies: `<configDir>/cache`. */
export function cacheDir(configDir: string): string {
  return join(configDir, 'cache');
}

/** The copy's path: its name is a hash, so the directory listing reveals no server, project or environment. */
export function cacheFile(configDir: string, apiUrl: string, project: string, environment: string): string {
  return join(cacheDir(configDir), fileName(identityOf(apiUrl, project, environment)));
}

/** Deletes temp files of this copy left by killed writers, when the copy itself is not rewritten. */
export function sweepCopyTemps(configDir: string, apiUrl: string, project: string, environment: string): void {
  removeAbandonedTemps(cacheDir(configDir), fileName(identityOf(apiUrl, project, environment)));
}

/** Seals `entry` with `key` and writes it atomically (directory 0700, file 0600), replacing any older copy. */
export function writeCachedEnvironment(configDir: string, key: Buffer, entry: CachedEnvironment): void {
  checkKey(key);
  const identity = identityOf(entry.apiUrl, entry.project, entry.environment);
  const { apiUrl, project, environment, revision, secrets, savedAt } = entry;
  const plaintext = JSON.stringify({ apiUrl, project, environment, revision, secrets, savedAt });
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(identity, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const dir = cacheDir(configDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileAtomic(join(dir, fileName(identity)), serialize(iv, cipher.getAuthTag(), ct), 0o600, { durable: false });
}

/**
 * The copy for this server, project and environment, or undefined when there is none. A file that
 * is unreadable, malformed, tampered with, moved from another name or sealed with another key
 * throws KryptError `cache_corrupt`; it never yields partial or unauthenticated data.
 */
export function readCachedEnvironment(
  configDir: string,
  key: Buffer,
  apiUrl: string,
  project: string,
  environment: string,
): CachedEnvironment | undefined {
  checkKey(key);
  const identity = identityOf(apiUrl, project, environment);
  const file = join(cacheDir(configDir), fileName(identity));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw corrupt(file, `cannot be read (${code ?? 'error'})`);
  }
  const sealed = parseEnvelope(text);
  if (sealed === undefined) throw corrupt(file, 'is not a valid offline copy');
  let plaintext: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
    decipher.setAAD(Buffer.from(identity, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    plaintext = Buffer.concat([decipher.update(sealed.ct), decipher.final()]).toString('utf8');
  } catch {
    throw corrupt(file, 'failed authentication (changed, moved, or sealed with another key)');
  }
  const entry = parseEntry(plaintext);
  if (entry === undefined || entry.apiUrl !== apiUrl || entry.project !== project || entry.environment !== environment) {
    throw corrupt(file, 'does not hold the expected environment');
  }
  return entry;
}

/** Deletes every offline copy (and interrupted temp files); returns how many copies were deleted. */
export function clearCache(configDir: string): number {
  const dir = cacheDir(configDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new KryptError('cache_unreadable', `cannot list ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      hint: `check the permissions of ${dir}, or delete it`,
    });
  }
  let deleted = 0;
  for (const name of names) {
    if (COPY_NAME.test(name)) {
      rmSync(join(dir, name), { force: true });
      deleted++;
    } else if (isAtomicTempName(name)) {
      rmSync(join(dir, name), { force: true });
    }
  }
  return deleted;
}

/** A copy's age for the stderr note: "less than 1 min", "3 min", "2 h 5 min", "1 day 4 h". */
export function describeAge(savedAt: string, now: Date): string {
  const ms = now.getTime() - Date.parse(savedAt);
  if (Number.isNaN(ms)) return 'unknown';
  // A copy from the future (clock changed) counts as fresh rather than negative.
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'less than 1 min';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return `${days} ${days === 1 ? 'day' : 'days'}${hours > 0 ? ` ${hours} h` : ''}`;
  if (hours > 0) return `${hours} h${mins > 0 ? ` ${mins} min` : ''}`;
  return `${mins} min`;
}

function identityOf(apiUrl: string, project: string, environment: string): string {
  return `${apiUrl}\0${project}\0${environment}`;
}

function fileName(identity: string): string {
  return `${createHash('sha256').update(identity, 'utf8').digest('hex')}.bin`;
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) {
    throw new KryptError('cache_key_invalid', 'the offline cache key must be 32 bytes', {
      hint: 'run `krypt cache clear`; a new key is created on the next read',
    });
  }
}

function serialize(iv: Buffer, tag: Buffer, ct: Buffer): string {
  return `${JSON.stringify({ v: FORMAT_VERSION, iv: iv.toString('base64'), tag: tag.toString('base64'), ct: ct.toString('base64') })}\n`;
}

function parseEnvelope(text: string): { iv: Buffer; tag: Buffer; ct: Buffer } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { v, iv, tag, ct } = raw as Record<string, unknown>;
  if (v !== FORMAT_VERSION || typeof iv !== 'string' || typeof tag !== 'string' || typeof ct !== 'string') return undefined;
  const sealed = { iv: Buffer.from(iv, 'base64'), tag: Buffer.from(tag, 'base64'), ct: Buffer.from(ct, 'base64') };
  if (sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) return undefined;
  // Base64 decoding is lenient; requiring the exact bytes we write closes every other variant.
  return serialize(sealed.iv, sealed.tag, sealed.ct) === text ? sealed : undefined;
}

function parseEntry(plaintext: string): CachedEnvironment | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(plaintext);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { apiUrl, project, environment, revision, secrets, savedAt } = raw as Record<string, unknown>;
  if (typeof apiUrl !== 'string' || typeof project !== 'string' || typeof environment !== 'string') return undefined;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision)) return undefined;
  if (typeof savedAt !== 'string' || Number.isNaN(Date.parse(savedAt))) return undefined;
  if (typeof secrets !== 'object' || secrets === null || Array.isArray(secrets)) return undefined;
  if (!Object.values(secrets).every((value) => typeof value === 'string')) return undefined;
  return { apiUrl, project, environment, revision, secrets: secrets as Record<string, string>, savedAt };
}

function corrupt(file: string, problem: string): KryptError {
  return new KryptError('cache_corrupt', `the offline copy ${file} ${problem}`, {
    hint: 'run `krypt cache clear`; the next successful read stores a fresh copy',
  });
}
