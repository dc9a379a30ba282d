// Plain constants of the contract, free of zod: `krypt run` and `krypt get` load this on their
// start-up path, where importing zod would cost ~80 ms.

/** The three fixed environments of every project, in their canonical order. */
export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Short names the CLI accepts for environments. */
export const ENVIRONMENT_ALIASES: Record<string, Environment> = {
  dev: 'development',
  stg: 'staging',
  prod: 'production',
};

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const SLUG_PATTERN = /^[a-z0-9-]{1,64}$/;
export const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_KEY_LENGTH = 256;
/** Values are UTF-8 strings of at most 64 KiB (counted in bytes). */
export const MAX_VALUE_BYTES = 64 * 1024;
/** Longest email address (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;
/**
 * Longest path parameter the contract allows, as sent (percent-encoded): an email of
 * MAX_EMAIL_LENGTH characters, each encoded as at most 3. The server's router must accept it.
 */
export const MAX_PATH_PARAM_LENGTH = 3 * MAX_EMAIL_LENGTH;
/** Most keys one bulk write may touch. */
export const MAX_KEYS_PER_WRITE = 5000;

/** Resolves a CLI environment name or alias to its canonical name, or undefined. */
export function canonicalEnvironment(name: string): Environment | undefined {
  if ((ENVIRONMENTS as readonly string[]).includes(name)) return name as Environment;
  return ENVIRONMENT_ALIASES[name];
}

/** Header the CLI sends naming the command, recorded in the audit log. */
export const CLI_COMMAND_HEADER = 'x-krypt-command';

/** The SSE event name of the change stream (GET .../environments/:env/events); data: {"revision":N}. */
export const REVISION_EVENT = 'revision';
/** How often the change stream sends a `: ping` comment; a client hearing nothing for ~3x this reconnects. */
export const EVENTS_HEARTBEAT_MS = 15_000;
