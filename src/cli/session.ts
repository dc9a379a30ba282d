import { createApiClient, type ApiClient } from '../lib/api/client.js';
import type { CliConfig } from '../lib/config/config-file.js';
import { requireCredentials, resolveProjectContext, type ApiSettings, type ProjectContext } from '../lib/config/context.js';
import type { CliDeps } from './deps.js';
import { loadSettings } from './settings.js';

export interface Session {
  config: CliConfig;
  settings: ApiSettings;
  client: ApiClient;
  apiUrl: string;
}

/** A logged-in API client for a command; `command` names it in the server's audit log. */
export function openSession(deps: CliDeps, flags: { 'api-url'?: string | undefined; 'ca-file'?: string | undefined }, command: string): Session {
  const { config, settings } = loadSettings(deps, flags);
  const { apiUrl, token, caFile } = requireCredentials(settings);
  return { config, settings, apiUrl, client: createApiClient({ apiUrl, token, command, debug: deps.debug, caFile }) };
}

/** A logged-in client plus the project and environment the command works on. */
export function openProjectSession(
  deps: CliDeps,
  flags: { 'api-url'?: string | undefined; 'ca-file'?: string | undefined; project?: string | undefined; env?: string | undefined },
  command: string,
): Session & { context: ProjectContext } {
  const context = resolveProjectContext(flags, deps.env, deps.cwd);
  return { ...openSession(deps, flags, command), context };
}
