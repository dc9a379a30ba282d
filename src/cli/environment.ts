import { requireCredentials, resolveProjectContext } from '../lib/config/context.js';
import { elapsedMs } from '../lib/debug/debug-log.js';
import { DEFAULT_MAX_STALE_SECONDS, fetchEnvironment, type FetchedEnvironment } from '../lib/sync/fetch-environment.js';
import { parseDuration } from '../lib/time/duration.js';
import type { CliDeps } from './deps.js';
import { loadSettings } from './settings.js';

/** The flags of every command that reads a whole environment (run, get, pull). */
export interface EnvironmentFlags {
  'api-url'?: string | undefined;
  'ca-file'?: string | undefined;
  project?: string | undefined;
  env?: string | undefined;
  'max-stale'?: string | undefined;
  offline?: boolean;
  'no-fallback'?: boolean;
}

export interface EnvironmentContext {
  project: string;
  environment: string;
  apiUrl: string;
  token: string;
  caFile?: string;
}

/**
 * Resolves credentials, project and environment from flags, env and files, then reads the
 * environment (with its offline copy): the shared first half of `run`, `get` and `pull`. No zod.
 */
export async function loadEnvironment(flags: EnvironmentFlags, deps: CliDeps, command: string): Promise<EnvironmentContext & FetchedEnvironment> {
  const started = deps.debug ? performance.now() : 0;
  const { config, settings, dir } = loadSettings(deps, flags);
  const api = requireCredentials(settings);
  const context = resolveProjectContext(flags, deps.env, deps.cwd);
  deps.debug?.(`project ${context.project} from ${context.projectSource}; environment ${context.environment} from ${context.environmentSource}`);
  const maxStale = flags['max-stale'];
  const fetched = await fetchEnvironment({
    ...api,
    project: context.project,
    environment: context.environment,
    command,
    configDir: dir,
    config,
    offline: flags.offline === true,
    fallback: flags['no-fallback'] !== true,
    maxStaleSeconds: maxStale === undefined ? DEFAULT_MAX_STALE_SECONDS : parseDuration(maxStale, '--max-stale'),
    now: deps.now,
    note: (m) => deps.stderr.write(m + '\n'),
    debug: deps.debug,
  });
  deps.debug?.(`environment ${context.project}/${context.environment} read from ${fetched.source} in ${elapsedMs(started)}`);
  return { ...fetched, ...api, project: context.project, environment: context.environment };
}
