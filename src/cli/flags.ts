import { flag } from './command.js';

// Flag sets shared by commands, defined once as plain data (command.ts). Environment variables
// (KRYPT_API_URL, KRYPT_PROJECT, KRYPT_ENV) are resolved by the settings resolver (settings.ts and
// lib/config/context.ts), not by the parser, so `whoami` can say where each value came from.

export const apiFlags = {
  'api-url': flag.string({ description: 'Krypt API URL [env: KRYPT_API_URL]', helpGroup: 'GLOBAL' }),
  'ca-file': flag.string({ description: 'PEM CA certificate to trust for https, besides the system roots [env: KRYPT_CA_FILE]', helpGroup: 'GLOBAL' }),
};

/** For commands about a whole project (members, change requests, audit). */
export const projectFlag = {
  project: flag.string({ char: 'p', description: 'project slug [env: KRYPT_PROJECT]', helpGroup: 'GLOBAL' }),
};

export const envFlag = {
  env: flag.string({ char: 'e', description: 'environment: development|staging|production (dev, stg, prod) [env: KRYPT_ENV]', helpGroup: 'GLOBAL' }),
};

export const contextFlags = { ...apiFlags, ...projectFlag, ...envFlag };

export const yesFlag = {
  yes: flag.boolean({ char: 'y', description: 'do not ask for confirmation (required when stdin is not a terminal)' }),
};

/** Offline-copy flags of every command that reads a whole environment (run, get, pull). */
export const offlineFlags = {
  'max-stale': flag.string({ description: 'when the server is unreachable, use the offline copy if younger than this (default 24h)' }),
  offline: flag.boolean({ description: 'use only the encrypted offline copy; do not contact the server' }),
  'no-fallback': flag.boolean({ description: 'never use the offline copy, even when the server is unreachable' }),
};
