import { canonicalEnvironment, ENVIRONMENTS, SLUG_PATTERN, type Environment } from '../../contract/constants.js';
import { KryptError } from '../errors.js';
import type { CliConfig } from './config-file.js';
import { findKryptFile } from './krypt-file.js';

/** Where a setting came from, as `whoami` reports it. */
export type Source = 'flag' | 'env' | 'file' | '.krypt' | 'default';

export interface ApiSettings {
  apiUrl: string | undefined;
  apiUrlSource: Source | undefined;
  token: string | undefined;
  tokenSource: Source | undefined;
  /** A private CA (PEM file) for https: --ca-file, then KRYPT_CA_FILE, then the config file (set by `krypt login --ca-file`). */
  caFile: string | undefined;
  caFileSource: Source | undefined;
}

/** API URL: flag, then KRYPT_API_URL, then the config file. Token: KRYPT_TOKEN, then the config file. CA file: like the URL. */
export function resolveApiSettings(flags: { 'api-url'?: string; 'ca-file'?: string }, env: NodeJS.ProcessEnv, config: CliConfig): ApiSettings {
  const [apiUrl, apiUrlSource] = pick<string>([
    [flags['api-url'], 'flag'],
    [env.KRYPT_API_URL, 'env'],
    [config.apiUrl, 'file'],
  ]);
  const [token, tokenSource] = pick<string>([
    [env.KRYPT_TOKEN, 'env'],
    [config.token, 'file'],
  ]);
  const [caFile, caFileSource] = pick<string>([
    [flags['ca-file'], 'flag'],
    [env.KRYPT_CA_FILE, 'env'],
    [config.caFile, 'file'],
  ]);
  return { apiUrl, apiUrlSource, token, tokenSource, caFile, caFileSource };
}

/** The API URL and token, or an auth error telling the user to log in. */
export function requireCredentials(settings: ApiSettings): { apiUrl: string; token: string; caFile?: string } {
  if (!settings.token) {
    throw new KryptError('not_logged_in', 'not logged in', {
      kind: 'auth',
      hint: 'run `krypt login --api-url URL`, or set KRYPT_TOKEN',
    });
  }
  if (!settings.apiUrl) {
    throw new KryptError('no_api_url', 'no API URL configured', {
      hint: 'pass --api-url, set KRYPT_API_URL, or run `krypt login --api-url URL`',
    });
  }
  return { apiUrl: settings.apiUrl, token: settings.token, ...(settings.caFile ? { caFile: settings.caFile } : {}) };
}

export interface ProjectContext {
  project: string;
  projectSource: Source;
  environment: Environment;
  environmentSource: Source;
}

/** Project and environment: flag, then KRYPT_PROJECT / KRYPT_ENV, then the nearest `.krypt`; env defaults to development. */
export function resolveProjectContext(
  flags: { project?: string; env?: string },
  env: NodeJS.ProcessEnv,
  cwd: string,
): ProjectContext {
  const needFile = !(flags.project ?? env.KRYPT_PROJECT) || !(flags.env ?? env.KRYPT_ENV);
  const file = needFile ? findKryptFile(cwd) : undefined;
  const [project, projectSource] = pickProject(flags, env, file);
  const [envName, environmentSource] = pick<string>([
    [flags.env, 'flag'],
    [env.KRYPT_ENV, 'env'],
    [file?.environment, '.krypt'],
    ['development', 'default'],
  ]);
  return { project, projectSource, environment: parseEnvironment(envName!), environmentSource: environmentSource! };
}

/** Just the project (flag, KRYPT_PROJECT, `.krypt`), for commands that are not about one environment. */
export function resolveProject(flags: { project?: string }, env: NodeJS.ProcessEnv, cwd: string): string {
  const file = flags.project || env.KRYPT_PROJECT ? undefined : findKryptFile(cwd);
  return pickProject(flags, env, file)[0];
}

function pickProject(flags: { project?: string }, env: NodeJS.ProcessEnv, file: { project?: string } | undefined): [string, Source] {
  const [project, projectSource] = pick<string>([
    [flags.project, 'flag'],
    [env.KRYPT_PROJECT, 'env'],
    [file?.project, '.krypt'],
  ]);
  if (!project || !projectSource) {
    throw new KryptError('no_project', 'no project selected', {
      hint: 'run `krypt init` in this directory, or pass --project',
    });
  }
  if (!SLUG_PATTERN.test(project)) {
    throw new KryptError('invalid_project', `invalid project slug "${project}"`, {
      hint: 'slugs are 1-64 lowercase letters, digits or "-"',
    });
  }
  return [project, projectSource];
}

/** Canonical environment name for a name or alias, or a usage error listing the choices. */
export function parseEnvironment(name: string): Environment {
  const canonical = canonicalEnvironment(name);
  if (!canonical) {
    throw new KryptError('invalid_environment', `unknown environment "${name}"`, {
      hint: `use one of ${ENVIRONMENTS.join(', ')} (or dev, stg, prod)`,
    });
  }
  return canonical;
}

function pick<T>(candidates: Array<[T | undefined, Source]>): [T | undefined, Source | undefined] {
  for (const [value, source] of candidates) {
    if (value !== undefined && value !== '') return [value, source];
  }
  return [undefined, undefined];
}
