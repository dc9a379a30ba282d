import { defineCommand, flag } from '../cli/command.js';
import { apiFlags } from '../cli/flags.js';
import { loadSettings } from '../cli/settings.js';
import { createApiClient } from '../lib/api/client.js';
import { writeConfig } from '../lib/config/config-file.js';

interface LogoutResult {
  loggedOut: boolean;
  revoked: boolean;
}

export default defineCommand({
  id: 'logout',
  description: 'Forget the stored API key (--revoke also revokes it on the server).',
  examples: ['krypt logout', 'krypt logout --revoke'],
  flags: {
    ...apiFlags,
    revoke: flag.boolean({ description: 'also revoke the key server-side, so it stops working everywhere' }),
  },
  async run(ctx, { flags }): Promise<LogoutResult> {
    const { config, settings, dir } = loadSettings(ctx.deps, flags);
    if (!config.token) {
      ctx.say('Not logged in; nothing to forget.');
      return { loggedOut: false, revoked: false };
    }
    let revoked = false;
    const apiUrl = flags['api-url'] ?? config.apiUrl;
    if (flags.revoke && apiUrl) {
      await createApiClient({ apiUrl, token: config.token, command: 'logout', debug: ctx.deps.debug, caFile: settings.caFile }).revokeApiKey('current');
      revoked = true;
    }
    const { token: _forgotten, ...rest } = config;
    writeConfig(dir, rest);
    ctx.say(revoked ? 'Revoked the API key and logged out.' : 'Logged out (the key still works elsewhere; use --revoke to disable it).');
    return { loggedOut: true, revoked };
  },
});
