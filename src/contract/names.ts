import { z } from 'zod';
import { ENVIRONMENTS, KEY_PATTERN, MAX_KEY_LENGTH, MAX_VALUE_BYTES, SLUG_PATTERN } from './constants.js';

export {
  ENVIRONMENTS,
  ENVIRONMENT_ALIASES,
  ROLES,
  SLUG_PATTERN,
  KEY_PATTERN,
  MAX_KEY_LENGTH,
  MAX_VALUE_BYTES,
  MAX_KEYS_PER_WRITE,
  MAX_EMAIL_LENGTH,
  MAX_PATH_PARAM_LENGTH,
  canonicalEnvironment,
  isPrivilegedVariable,
  PRIVILEGED_VARIABLES,
  PRIVILEGED_PREFIXES,
  type Environment,
  type Role,
} from './constants.js';

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
  })
  // execve() takes NUL-terminated strings: such a value could never reach a program's environment.
  .refine((v) => !v.includes('\0'), {
    message: 'values cannot contain a NUL character (U+0000): no program can receive it in its environment',
  });
