import { resolve } from 'node:path';
import { defineCommand, flag, type CommandContext } from '../cli/command.js';
import { apiFlags } from '../cli/flags.js';
import { promptSecret, readStdin } from '../cli/prompt.js';
import { loadSettings } from '../cli/settings.js';
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

export default defineCommand({
  id: 'login',
  description: [
    'Log in with an API key: verifies it against the server, then stores it in ~/.krypt/config.json (0600).',
    'With --invite CODE: when you are logged in (or pass your key with --token-stdin), your account accepts the invitation;',
    'otherwise the code creates a NEW account for the invited email, and its first personal key is stored the same way.',
    'A code never signs anyone in to an account that already exists.',
  ].join('\n'),
  examples: [
    'krypt login --api-url https://krypt.example.com',
    'echo "$KEY" | krypt login --api-url http://127.0.0.1:8080 --token-stdin',
    'krypt login --invite CODE --api-url https://krypt.example.com',
    'krypt login --api-url https://krypt.internal:8420 --ca-file /etc/krypt/ca.pem',
  ],
  flags: {
    ...apiFlags,
    'token-stdin': flag.boolean({ description: 'read the API key from standard input instead of prompting (with --invite: your own key, which accepts the invite)' }),
    invite: flag.string({ description: 'one-time invite code from `krypt members invite`' }),
    name: flag.string({ description: 'with --invite, for a new account: your display name', dependsOn: ['invite'] }),
  },
  async run(ctx, { flags }): Promise<LoginResult> {
    const { config, settings, dir } = loadSettings(ctx.deps, flags, { replaceCorrupt: true });
    const apiUrl = settings.apiUrl;
    const caFile = settings.caFile;
    // A CA given on the command line is remembered (as an absolute path) with the URL it belongs to.
    const saved = settings.caFileSource === 'flag' && caFile ? { caFile: resolve(ctx.deps.cwd, caFile) } : {};
    if (!apiUrl) {
      throw new KryptError('no_api_url', 'no API URL given', { hint: 'pass --api-url https://your-krypt-server' });
    }
    if (flags.invite !== undefined) {
      const code = flags.invite.trim();
      if (!code) throw new KryptError('usage', 'the invite code is empty', { hint: 'pass the code from `krypt members invite`: `krypt login --invite CODE`' });
      // Signed in (a key on stdin, KRYPT_TOKEN, or the stored key of this server): that account accepts
      // the invite and keeps its key. Otherwise the code may only create a new account.
      const stdinToken = flags['token-stdin'] ? (await readStdin(ctx.deps)).trim() : undefined;
      const token = stdinToken || (settings.tokenSource === 'env' || config.apiUrl === apiUrl ? settings.token : undefined);
      if (token) {
        const client = createApiClient({ apiUrl, token, command: 'login', debug: ctx.deps.debug, caFile });
        const me = await client.me();
        const joined = await client.acceptInvite(code).catch((err: unknown) => rehintInvite(err, apiUrl));
        if (stdinToken) updateConfig(dir, (current) => ({ ...current, apiUrl, token: stdinToken, ...saved }));
        ctx.say(`Accepted the invite as ${me.user.email}: you joined ${joined.project} as ${joined.role}.`);
        return { apiUrl, user: me.user, keyName: me.key.name, joined };
      }
      const created = await createApiClient({ apiUrl, command: 'login', debug: ctx.deps.debug, caFile }).redeemInvite(code, flags.name).catch((err: unknown) => rehintInvite(err, apiUrl));
      updateConfig(dir, (current) => ({ ...current, apiUrl, token: created.token, ...saved }));
      ctx.say(`Created a new Krypt account for ${created.user.email}.`);
      ctx.say(`Logged in to ${apiUrl} as ${created.user.email}; you joined ${created.project} as ${created.role}.`);
      ctx.say(`Next: \`krypt init --project ${created.project}\` in your project's directory.`);
      return { apiUrl, user: created.user, joined: { project: created.project, role: created.role } };
    }
    const token = (await readToken(ctx, flags['token-stdin'])).trim();
    if (!token) throw new KryptError('empty_token', 'no API key given', { hint: 'paste the key printed by `krypt server init` or `krypt keys create`' });
    const me = await createApiClient({ apiUrl, token, command: 'login', debug: ctx.deps.debug, caFile }).me();
    updateConfig(dir, (current) => ({ ...current, apiUrl, token, ...saved }));
    ctx.say(`Logged in to ${apiUrl} as ${me.user.email} (key "${me.key.name}", ${me.key.prefix}…)`);
    return { apiUrl, user: me.user, keyName: me.key.name };
  },
});

async function readToken(ctx: CommandContext, fromStdin: boolean): Promise<string> {
  if (fromStdin) return readStdin(ctx.deps);
  if (!ctx.interactive) {
    throw new KryptError('no_tty', 'cannot prompt for the API key: stdin is not a terminal', {
      hint: 'pipe the key in with `krypt login --token-stdin`',
    });
  }
  return promptSecret(ctx.deps, 'API key:');
}

/** A refused code gets a hint about codes and accounts, not about API keys. */
function rehintInvite(err: unknown, apiUrl: string): never {
  if (!(err instanceof KryptError)) throw err;
  const fresh = 'an invite code works once and expires; ask an owner or admin for a new `krypt members invite`';
  if (err.code === 'conflict' && /already has a Krypt account/.test(err.message)) {
    throw new KryptError(err.code, err.message, { kind: err.kind, hint: `log in with your own API key first (\`krypt login --api-url ${apiUrl}\`), then run \`krypt invites accept CODE\`` });
  }
  if (err.code === 'forbidden' && /signed in as/.test(err.message)) {
    throw new KryptError(err.code, err.message, { kind: err.kind, hint: 'log in as the invited account, or ask for an invite for the account you use' });
  }
  if (['unauthorized', 'forbidden', 'not_found', 'conflict', 'validation'].includes(err.code)) {
    throw new KryptError(err.code, err.message, { kind: err.kind, hint: fresh });
  }
  throw err;
}
