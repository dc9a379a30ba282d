import { Flags } from '@oclif/core';
import { KryptCommand } from '../cli/base-command.js';
import { apiFlags } from '../cli/flags.js';
import { promptSecret, readStdin } from '../cli/prompt.js';
import { loadSettings } from '../cli/session.js';
import { createApiClient } from '../lib/api/client.js';
import { writeConfig } from '../lib/config/config-file.js';
import { KryptError } from '../lib/errors.js';

interface LoginResult {
  apiUrl: string;
  user: { id: string; email: string; name: string };
  keyName: string;
}

export default class Login extends KryptCommand<LoginResult> {
  static override description = 'Log in with an API key: verifies it against the server, then stores it in ~/.krypt/config.json (0600).';
  static override examples = [
    '<%= config.bin %> login --api-url https://krypt.example.com',
    'echo "$KEY" | <%= config.bin %> login --api-url http://127.0.0.1:8080 --token-stdin',
  ];
  static override flags = {
    ...apiFlags,
    'token-stdin': Flags.boolean({ description: 'read the API key from standard input instead of prompting' }),
  };

  async run(): Promise<LoginResult> {
    const { flags } = await this.parse(Login);
    const { config, settings, dir } = loadSettings(this.deps, flags);
    const apiUrl = settings.apiUrl;
    if (!apiUrl) {
      throw new KryptError('no_api_url', 'no API URL given', { hint: 'pass --api-url https://your-krypt-server' });
    }
    const token = (await this.readToken(flags['token-stdin'])).trim();
    if (!token) throw new KryptError('empty_token', 'no API key given', { hint: 'paste the key printed by `krypt server init` or `krypt keys create`' });
    const me = await createApiClient({ apiUrl, token, command: 'login' }).me();
    writeConfig(dir, { ...config, apiUrl, token });
    this.say(`Logged in to ${apiUrl} as ${me.user.email} (key "${me.key.name}", ${me.key.prefix}…)`);
    return { apiUrl, user: me.user, keyName: me.key.name };
  }

  private async readToken(fromStdin: boolean): Promise<string> {
    if (fromStdin) return readStdin(this.deps);
    if (!this.interactive) {
      throw new KryptError('no_tty', 'cannot prompt for the API key: stdin is not a terminal', {
        hint: 'pipe the key in with `krypt login --token-stdin`',
      });
    }
    return promptSecret(this.deps, 'API key:');
  }
}
