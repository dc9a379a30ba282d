import { configDir, readConfig } from '../../lib/config/config-file.js';
import { requireCredentials, resolveApiSettings, resolveProjectContext } from '../../lib/config/context.js';
import { parseDuration } from '../../lib/time/duration.js';
import { DEFAULT_MAX_STALE_SECONDS, fetchEnvironment, type FetchedEnvironment } from '../../lib/sync/fetch-environment.js';
import { describeSettings, elapsedMs } from '../../lib/debug/debug-log.js';
import type { CliDeps } from '../deps.js';
import { stringFlag, type FlagValues } from './parse-args.js';

export interface EnvironmentContext {
  project: string;
  environment: string;
  apiUrl: string;
  token: string;
  caFile?: string;
}

/**
 * Resolves credentials, project and environment from flags, env and files, then reads the
 * environment (with its offline copy) — the shared first half of `krypt run` and `krypt get`.
 */
export async function loadEnvironment(flags: FlagValues, deps: CliDeps, command: string): Promise<EnvironmentContext & FetchedEnvironment> {
  const dir = configDir(deps.env);
  const config = readConfig(dir, (m) => deps.stderr.write(`Warning: ${m}\n`));
  const started = deps.debug ? performance.now() : 0;
  const settings = resolveApiSettings({ 'api-url': stringFlag(flags, 'api-url'), 'ca-file': stringFlag(flags, 'ca-file') }, deps.env, config);
  deps.debug?.(describeSettings(dir, settings));
  const api = requireCredentials(settings);
  const context = resolveProjectContext({ project: stringFlag(flags, 'project'), env: stringFlag(flags, 'env') }, deps.env, deps.cwd);
  deps.debug?.(`project ${context.project} from ${context.projectSource}; environment ${context.environment} from ${context.environmentSource}`);
  const maxStale = stringFlag(flags, 'max-stale');
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
