import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { KryptCommand } from '../cli/base-command.js';
import { apiFlags } from '../cli/flags.js';
import { promptSecret, readStdin } from '../cli/prompt.js';
import { loadSettings } from '../cli/session.js';
import type { Role } from '../contract/index.js';
import { createApiClient } from '../lib/api/client.js';
import { updateConfig } from '../lib/config/config-file.js';
import { KryptError } from '../lib/errors.js';

interface LoginResult {
  apiUrl: string;
  user: { id: string; email: string; name: string };
  keyName?: string;
  /** Set when the login redeemed an invite. */
  joined?: { project: string; role: Role };
}

export default class Login extends KryptCommand<LoginResult> {
  static override description = [
    'Log in with an API key: verifies it against the server, then stores it in ~/.krypt/config.json (0600).',
    'With --invite CODE, redeems an invitation instead: joins the project and stores the new personal key the same way.',
  ].join('\n');
  static override examples = [
    '<%= config.bin %> login --api-url https://krypt.example.com',
    'echo "$KEY" | <%= config.bin %> login --api-url http://127.0.0.1:8080 --token-stdin',
    '<%= config.bin %> login --invite CODE --api-url https://krypt.example.com',
    '<%= config.bin %> login --api-url https://krypt.internal:8420 --ca-file /etc/krypt/ca.pem',
  ];
  static override flags = {
    ...apiFlags,
    'token-stdin': Flags.boolean({ description: 'read the API key from standard input instead of prompting', exclusive: ['invite'] }),
    invite: Flags.string({ description: 'one-time invite code from `krypt members invite`' }),
    name: Flags.string({ description: 'with --invite: your display name', dependsOn: ['invite'] }),
  };

  async run(): Promise<LoginResult> {
    const { flags } = await this.parse(Login);
    const { settings, dir } = loadSettings(this.deps, flags, { replaceCorrupt: true });
    const apiUrl = settings.apiUrl;
    const caFile = settings.caFile;
    // A CA given on the command line is remembered (as an absolute path) with the URL it belongs to.
    const saved = settings.caFileSource === 'flag' && caFile ? { caFile: resolve(this.deps.cwd, caFile) } : {};
    if (!apiUrl) {
      throw new KryptError('no_api_url', 'no API URL given', { hint: 'pass --api-url https://your-krypt-server' });
    }
    if (flags.invite !== undefined) {
      const code = flags.invite.trim();
      if (!code) throw new KryptError('usage', 'the invite code is empty', { hint: 'pass the code from `krypt members invite`: `krypt login --invite CODE`' });
      const joined = await createApiClient({ apiUrl, command: 'login', debug: this.deps.debug, caFile }).redeemInvite(code, flags.name).catch(rehintInvite);
      updateConfig(dir, (current) => ({ ...current, apiUrl, token: joined.token, ...saved }));
      this.say(`Logged in to ${apiUrl} as ${joined.user.email}; you joined ${joined.project} as ${joined.role}.`);
      this.say(`Next: \`krypt init --project ${joined.project}\` in your project's directory.`);
      return { apiUrl, user: joined.user, joined: { project: joined.project, role: joined.role } };
    }
    const token = (await this.readToken(flags['token-stdin'])).trim();
    if (!token) throw new KryptError('empty_token', 'no API key given', { hint: 'paste the key printed by `krypt server init` or `krypt keys create`' });
    const me = await createApiClient({ apiUrl, token, command: 'login', debug: this.deps.debug, caFile }).me();
    updateConfig(dir, (current) => ({ ...current, apiUrl, token, ...saved }));
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

/** A refused code gets a hint about codes, not about API keys. */
function rehintInvite(err: unknown): never {
  if (err instanceof KryptError && ['unauthorized', 'forbidden', 'not_found', 'conflict', 'validation'].includes(err.code)) {
    throw new KryptError(err.code, err.message, { kind: err.kind, hint: 'an invite code works once and expires; ask an owner or admin for a new `krypt members invite`' });
  }
  throw err;
}
