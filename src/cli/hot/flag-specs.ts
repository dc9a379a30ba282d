// The flags of `krypt run` and `krypt get`, defined once as plain data. The start-up path
// (parse-args.ts) parses with them directly; the oclif command classes turn them into oclif flags
// (oclif-flags.ts) for --help, the manifest and the README. No oclif or zod import here.

export interface FlagSpec {
  name: string;
  char?: string;
  type: 'boolean' | 'string';
  description: string;
  /** A string flag that may also stand alone (`--preserve-env` or `--preserve-env=A,B`); its value needs `=`. */
  optionalValue?: boolean;
  /** Allowed values of a string flag. */
  options?: readonly string[];
  helpGroup?: 'GLOBAL';
}

const GLOBAL: FlagSpec[] = [
  { name: 'api-url', type: 'string', description: 'Krypt API URL [env: KRYPT_API_URL]', helpGroup: 'GLOBAL' },
  {
    name: 'ca-file',
    type: 'string',
    description: 'PEM CA certificate to trust for https, besides the system roots [env: KRYPT_CA_FILE]',
    helpGroup: 'GLOBAL',
  },
  { name: 'project', char: 'p', type: 'string', description: 'project slug [env: KRYPT_PROJECT]', helpGroup: 'GLOBAL' },
  {
    name: 'env',
    char: 'e',
    type: 'string',
    description: 'environment: development|staging|production (dev, stg, prod) [env: KRYPT_ENV]',
    helpGroup: 'GLOBAL',
  },
];

/** Offline-copy flags of every command that reads a whole environment (run, get, pull). */
export const OFFLINE_FLAGS: readonly FlagSpec[] = [
  { name: 'max-stale', type: 'string', description: 'when the server is unreachable, use the offline copy if younger than this (default 24h)' },
  { name: 'offline', type: 'boolean', description: 'use only the encrypted offline copy; do not contact the server' },
  { name: 'no-fallback', type: 'boolean', description: 'never use the offline copy, even when the server is unreachable' },
];

export const RUN_FLAGS: readonly FlagSpec[] = [
  ...GLOBAL,
  { name: 'command', char: 'c', type: 'string', description: 'run this string through your shell instead of CMD ARGS...' },
  {
    name: 'preserve-env',
    type: 'string',
    optionalValue: true,
    description: 'inherited variables win over secrets: all of them, or only those named (--preserve-env=A,B)',
  },
  { name: 'allow-reserved', type: 'boolean', description: 'let secrets override PATH, HOME, SHELL, USER and PWD' },
  { name: 'only', type: 'string', description: 'inject only these comma-separated keys' },
  { name: 'mask', type: 'boolean', description: "replace injected secret values in the child's output with *****" },
  { name: 'watch', type: 'boolean', description: 'restart the command when the environment changes on the server' },
  { name: 'on-change', type: 'string', description: 'with --watch: restart (default) or signal:NAME (e.g. signal:SIGHUP)' },
  ...OFFLINE_FLAGS,
];

export const GET_FLAGS: readonly FlagSpec[] = [
  ...GLOBAL,
  { name: 'no-newline', char: 'n', type: 'boolean', description: 'do not print the trailing newline' },
  { name: 'json', type: 'boolean', description: 'print the values as one JSON object' },
  ...OFFLINE_FLAGS,
];
