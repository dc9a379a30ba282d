import { createApiClient, type ApiClient } from '../lib/api/client.js';
import { configDir, readConfig, type CliConfig } from '../lib/config/config-file.js';
import { requireCredentials, resolveApiSettings, resolveProjectContext, type ApiSettings, type ProjectContext } from '../lib/config/context.js';
import { describeSettings } from '../lib/debug/debug-log.js';
import { KryptError } from '../lib/errors.js';
import type { CliDeps } from './deps.js';

export interface Session {
  config: CliConfig;
  settings: ApiSettings;
  client: ApiClient;
  apiUrl: string;
}

/** Loads the config (tightening loose permissions with a warning) and resolves API URL and token. */
export function loadSettings(
  deps: CliDeps,
  flags: { 'api-url'?: string; 'ca-file'?: string },
  opts: { replaceCorrupt?: boolean } = {},
): { config: CliConfig; settings: ApiSettings; dir: string } {
  const dir = configDir(deps.env);
  const warn = (m: string) => deps.stderr.write(`Warning: ${m}\n`);
  let config: CliConfig;
  try {
    config = readConfig(dir, warn);
  } catch (err) {
    // `krypt login` is what the corrupt-config hint tells users to run, so it starts afresh instead.
    if (!(opts.replaceCorrupt && err instanceof KryptError && err.code === 'config_corrupt')) throw err;
    warn(`${err.message}; it will be replaced`);
    config = {};
  }
  const settings = resolveApiSettings(flags, deps.env, config);
  deps.debug?.(describeSettings(dir, settings));
  return { config, settings, dir };
}

/** A logged-in API client for a command; `command` names it in the server's audit log. */
export function openSession(deps: CliDeps, flags: { 'api-url'?: string; 'ca-file'?: string }, command: string): Session {
  const { config, settings } = loadSettings(deps, flags);
  const { apiUrl, token, caFile } = requireCredentials(settings);
  return { config, settings, apiUrl, client: createApiClient({ apiUrl, token, command, userAgent: `krypt-cli node/${process.versions.node}`, debug: deps.debug, caFile }) };
}

/** A logged-in client plus the project and environment the command works on. */
export function openProjectSession(
  deps: CliDeps,
  flags: { 'api-url'?: string; 'ca-file'?: string; project?: string; env?: string },
  command: string,
): Session & { context: ProjectContext } {
  const context = resolveProjectContext(flags, deps.env, deps.cwd);
  return { ...openSession(deps, flags, command), context };
}
