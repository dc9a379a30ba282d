import { z } from 'zod';

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
/** Most keys one bulk write may touch. */
export const MAX_KEYS_PER_WRITE = 5000;

export const slugSchema = z
  .string()
  .regex(SLUG_PATTERN, 'project slug must be 1-64 lowercase letters, digits or "-"');

export const environmentSchema = z.enum(ENVIRONMENTS);

export const secretKeySchema = z
  .string()
  .max(MAX_KEY_LENGTH, `key names are at most ${MAX_KEY_LENGTH} characters`)
  .regex(KEY_PATTERN, 'key names must match ^[A-Za-z_][A-Za-z0-9_]*$');

export const secretValueSchema = z
  .string()
  .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_VALUE_BYTES, {
    message: `values are at most ${MAX_VALUE_BYTES} bytes`,
  });

/** Resolves a CLI environment name or alias to its canonical name, or undefined. */
export function canonicalEnvironment(name: string): Environment | undefined {
  if ((ENVIRONMENTS as readonly string[]).includes(name)) return name as Environment;
  return ENVIRONMENT_ALIASES[name];
}
