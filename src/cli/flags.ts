import { Flags } from '@oclif/core';

// Flag sets shared by commands. Environment variables (KRYPT_API_URL, KRYPT_PROJECT, KRYPT_ENV) are
// resolved in lib/config/context.ts, not by oclif, so `whoami` can say where each value came from.

export const apiFlags = {
  'api-url': Flags.string({ description: 'Krypt API URL [env: KRYPT_API_URL]', helpGroup: 'GLOBAL' }),
  'ca-file': Flags.string({ description: 'PEM CA certificate to trust for https, besides the system roots [env: KRYPT_CA_FILE]', helpGroup: 'GLOBAL' }),
};

/** For commands about a whole project (members, change requests, audit). */
export const projectFlag = {
  project: Flags.string({ char: 'p', description: 'project slug [env: KRYPT_PROJECT]', helpGroup: 'GLOBAL' }),
};

export const contextFlags = {
  ...apiFlags,
  ...projectFlag,
  env: Flags.string({
    char: 'e',
    description: 'environment: development|staging|production (dev, stg, prod) [env: KRYPT_ENV]',
    helpGroup: 'GLOBAL',
  }),
};

export const yesFlag = {
  yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation (required when stdin is not a terminal)' }),
};
