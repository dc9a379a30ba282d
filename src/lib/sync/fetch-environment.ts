import { readEnvironment } from '../api/environment-read.js';
import { cacheKeyFromConfig, describeAge, newCacheKey, readCachedEnvironment, sweepCopyTemps, writeCachedEnvironment } from '../cache/index.js';
import { updateConfig, type CliConfig } from '../config/config-file.js';
import type { DebugLog } from '../debug/debug-log.js';
import { KryptError } from '../errors.js';

export const DEFAULT_MAX_STALE_SECONDS = 24 * 3600;

export interface FetchEnvironmentOptions {
  apiUrl: string;
  token: string;
  /** A private CA (PEM file) for https (--ca-file / KRYPT_CA_FILE). */
  caFile?: string | undefined;
  project: string;
  environment: string;
  command: string;
  configDir: string;
  config: CliConfig;
  /** Use only the offline copy. */
  offline: boolean;
  /** May an offline copy stand in when the server is unreachable (network, timeout, 5xx)? */
  fallback: boolean;
  maxStaleSeconds: number;
  now: () => Date;
  /** Receives the stderr note when the offline copy is used. */
  note: (message: string) => void;
  /** KRYPT_DEBUG: offline-copy hits, 304s and fallbacks (names and revisions only). */
  debug?: DebugLog | undefined;
}

export interface FetchedEnvironment {
  revision: number;
  secrets: Record<string, string>;
  source: 'server' | 'cache';
  /** Keys the server holds but could not read back (a stored row failed its integrity check); not in `secrets`. */
  damaged: string[];
}

/**
 * Refuses to go on without a damaged key that the command needs (all of them by default), naming
 * the keys and how to repair them; never says anything of a value.
 */
export function requireIntact(env: FetchedEnvironment & { project: string; environment: string }, needed?: readonly string[]): void {
  const missing = needed === undefined ? env.damaged : env.damaged.filter((k) => needed.includes(k));
  if (missing.length === 0) return;
  const list = missing.join(', ');
  throw new KryptError('value_damaged', `the stored value of ${list} in ${env.project}/${env.environment} failed its integrity check on the server (the row was altered outside Krypt)`, {
    kind: 'remote',
    hint: `replace it with \`krypt set ${missing[0]} --stdin\` or delete it with \`krypt unset ${missing[0]}\`; the other keys are unaffected`,
  });
}

/** A copy confirmed by a 304 is re-dated only when it is older than this. */
const REDATE_AFTER_MS = 60_000;

/**
 * Reads an environment, keeping an encrypted offline copy: every successful read refreshes the copy
 * (a 304 for the held revision confirms it), and when the server cannot be reached a copy younger
 * than maxStale stands in, with a note giving its age. Auth and permission errors never fall back.
 */
export async function fetchEnvironment(opts: FetchEnvironmentOptions): Promise<FetchedEnvironment> {
  const key = cacheKeyFromConfig(opts.config);
  const cached = key ? readCopy(opts, key) : undefined;
  const where = `${opts.project}/${opts.environment}`;
  opts.debug?.(`offline copy of ${where}: ${cached ? `revision ${cached.revision} from ${cached.savedAt}` : 'none'}`);
  if (opts.offline) {
    if (!cached) {
      throw new KryptError('no_offline_copy', `no offline copy of ${where} on this machine`, { hint: 'run the command once while the server is reachable' });
    }
    return useCopy(opts, cached, 'offline mode');
  }
  let read;
  try {
    read = await readEnvironment({ ...opts, ...(cached ? { knownRevision: cached.revision } : {}) });
  } catch (err) {
    if (err instanceof KryptError && err.unavailable && opts.fallback && cached) {
      opts.debug?.(`server unavailable (${err.code}); falling back to the offline copy`);
      return useCopy(opts, cached, err.message);
    }
    throw err;
  }
  opts.debug?.(read.status === 'fresh' ? `server sent revision ${read.revision} (${Object.keys(read.secrets).length} keys)` : `304: offline copy revision ${read.revision} is current`);
  const secrets = read.status === 'fresh' ? read.secrets : cached!.secrets;
  const damaged = read.status === 'fresh' ? read.damaged : [];
  // Only a complete read becomes the offline copy (a 304 then always means "your copy is whole").
  // A 304 re-dates the copy (its age is what --max-stale judges), but at most once a minute: a
  // script calling `krypt get` in a loop does not re-encrypt and rewrite the file every time.
  const confirmedLately = read.status === 'not-modified' && cached !== undefined && opts.now().getTime() - Date.parse(cached.savedAt) < REDATE_AFTER_MS;
  // Not rewritten, it still loses the temp files of writers killed mid-write, as a write would.
  if (confirmedLately) sweepCopyTemps(opts.configDir, opts.apiUrl, opts.project, opts.environment);
  else if (damaged.length === 0) save(opts, key, read.revision, secrets);
  return { revision: read.revision, secrets, source: 'server', damaged };
}

type Copy = NonNullable<ReturnType<typeof readCachedEnvironment>>;

function readCopy(opts: FetchEnvironmentOptions, key: Buffer): Copy | undefined {
  try {
    return readCachedEnvironment(opts.configDir, key, opts.apiUrl, opts.project, opts.environment);
  } catch (err) {
    // A damaged copy must not block a command that can reach the server; it is rewritten below.
    opts.note(`Warning: ignoring the offline copy of ${opts.project}/${opts.environment}: ${(err as Error).message}`);
    return undefined;
  }
}

function useCopy(opts: FetchEnvironmentOptions, copy: Copy, why: string): FetchedEnvironment {
  const ageMs = opts.now().getTime() - Date.parse(copy.savedAt);
  const age = describeAge(copy.savedAt, opts.now());
  if (!(ageMs <= opts.maxStaleSeconds * 1000)) {
    throw new KryptError('offline_copy_stale', `the offline copy of ${opts.project}/${opts.environment} is ${age} old, older than --max-stale (${why})`, {
      kind: 'remote',
      hint: 'reach the server, or accept an older copy with --max-stale (e.g. --max-stale 7d)',
    });
  }
  opts.note(`Using the offline copy of ${opts.project}/${opts.environment} from ${age} ago (revision ${copy.revision}): ${why}`);
  return { revision: copy.revision, secrets: copy.secrets, source: 'cache', damaged: [] };
}

function save(opts: FetchEnvironmentOptions, existing: Buffer | undefined, revision: number, secrets: Record<string, string>): void {
  let key = existing;
  if (!key) {
    // Another krypt process may have stored a key since this one read the config: adopt it.
    const stored = updateConfig(opts.configDir, (current) => (cacheKeyFromConfig(current) ? current : { ...current, cacheKey: newCacheKey() }));
    key = cacheKeyFromConfig(stored)!;
  }
  const entry = { apiUrl: opts.apiUrl, project: opts.project, environment: opts.environment, revision, secrets, savedAt: opts.now().toISOString() };
  writeCachedEnvironment(opts.configDir, key, entry);
}
