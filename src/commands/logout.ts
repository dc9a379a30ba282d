import { Flags } from '@oclif/core';
import { KryptCommand } from '../cli/base-command.js';
import { apiFlags } from '../cli/flags.js';
import { loadSettings } from '../cli/session.js';
import { createApiClient } from '../lib/api/client.js';
import { writeConfig } from '../lib/config/config-file.js';

interface LogoutResult {
  loggedOut: boolean;
  revoked: boolean;
}

export default class Logout extends KryptCommand<LogoutResult> {
  static override description = 'Forget the stored API key (--revoke also revokes it on the server).';
  static override flags = {
    ...apiFlags,
    revoke: Flags.boolean({ description: 'also revoke the key server-side, so it stops working everywhere' }),
  };

  async run(): Promise<LogoutResult> {
    const { flags } = await this.parse(Logout);
    const { config, settings, dir } = loadSettings(this.deps, flags);
    if (!config.token) {
      this.say('Not logged in; nothing to forget.');
      return { loggedOut: false, revoked: false };
    }
    let revoked = false;
    const apiUrl = flags['api-url'] ?? config.apiUrl;
    if (flags.revoke && apiUrl) {
      await createApiClient({ apiUrl, token: config.token, command: 'logout', debug: this.deps.debug, caFile: settings.caFile }).revokeApiKey('current');
      revoked = true;
    }
    const { token: _forgotten, ...rest } = config;
    writeConfig(dir, rest);
    this.say(revoked ? 'Revoked the API key and logged out.' : 'Logged out (the key still works elsewhere; use --revoke to disable it).');
    return { loggedOut: true, revoked };
  }
}
