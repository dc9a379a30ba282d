import { readConfig, type CliConfig } from '../lib/config/config-file.js';
import { resolveApiSettings, type ApiSettings } from '../lib/config/context.js';
import { describeSettings } from '../lib/debug/debug-log.js';
import { KryptError } from '../lib/errors.js';
import type { CliDeps } from './deps.js';

// The one settings resolver of every command: the config file (tightened when too open, with a
// warning), then flags > environment > file for the API URL, token and CA file. No zod: `run` and
// `get` resolve their settings here on their start-up path.

export interface Settings {
  config: CliConfig;
  settings: ApiSettings;
  /** The config directory (KRYPT_CONFIG_DIR, else ~/.krypt). */
  dir: string;
}

/** Loads the config and resolves API URL, token and CA file; `replaceCorrupt` lets `krypt login` start afresh. */
export function loadSettings(deps: CliDeps, flags: { 'api-url'?: string | undefined; 'ca-file'?: string | undefined }, opts: { replaceCorrupt?: boolean } = {}): Settings {
  const dir = deps.configDir;
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
